"""Class breaks and colours of the choropleth maps.

Method: quantile classes (5, so quintiles) over the areas shown on the map, with every break
taken from the data (numpy's "lower" quantile) and rounded to the decimals the pages print
(one for scores, none for percentages). Why quantiles: the figures of the areas of one map
differ little compared to their 0-10 or 0-100 range (model estimates are drawn towards the
gemeente), so equal intervals put nearly every area in one or two middle classes and leave
the outer classes to one or two outliers; quintiles show the ranking with about as many areas
per colour, and the legend gives the count per class and the bounds, so nobody reads a small
difference as a large one. Breaks taken from the data make every class hold at least one area;
breaks that coincide after rounding are merged (then fewer than 5 classes).

An area is classed by its figure as printed (rounded), so the figure in its tooltip always lies
within the bounds its colour has in the legend: class i holds b[i] <= v < b[i+1], the last one
also v = b[-1]; the legend writes class i as "b[i] – b[i+1] minus one printed unit".

Colours: ColorBrewer's sequential "Blues" (5 of its 6 classes, without the near-white first,
which would vanish against the page): one hue with a lightness that falls steadily, so that the
order reads in grey print and for every kind of colour blindness; darker = higher."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

N_CLASSES = 5
PALETTE = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
METHOD = "kwantielen"  # in the legend: "5 klassen (kwantielen)"


def printed(value: float, digits: int) -> float:
    """The value as the pages print it (the same rounding as the number formatting)."""
    return float(f"{value:.{digits}f}")


@dataclass(frozen=True)
class Classes:
    breaks: tuple[float, ...]  # len(classes) + 1, strictly increasing (one value: one class)
    digits: int

    @property
    def count(self) -> int:
        return max(len(self.breaks) - 1, 1) if self.breaks else 0

    def index(self, value: float) -> int:
        """The class of a value (classed as printed)."""
        v = printed(value, self.digits)
        return min(max(bisect_right(self.breaks, v) - 1, 0), self.count - 1)

    def color(self, value: float) -> str:
        return PALETTE[self.index(value)]

    def colors(self) -> list[str]:
        return list(PALETTE[: self.count])

    def bounds(self, i: int) -> tuple[float, float]:
        """The printed bounds of class i, both inclusive."""
        if len(self.breaks) == 1:
            return self.breaks[0], self.breaks[0]
        lower, upper = self.breaks[i], self.breaks[i + 1]
        if i < self.count - 1:
            upper = printed(upper - 10.0**-self.digits, self.digits)
        return lower, upper


def quantile_classes(values: list[float], digits: int, n: int = N_CLASSES) -> Classes:
    """Quantile classes of `values` (see the module's docstring); no values: no classes."""
    rounded = np.sort(np.array([printed(v, digits) for v in values], dtype=float))
    if not len(rounded):
        return Classes((), digits)
    qs = np.quantile(rounded, [i / n for i in range(n + 1)], method="lower")
    breaks = sorted({printed(float(q), digits) for q in qs} | {float(rounded[0]), float(rounded[-1])})
    return Classes(tuple(breaks), digits)
