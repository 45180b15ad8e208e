"""The survey codebook as Python objects.

`survey_codebook.yaml` beside this file is the single source of truth for the raw survey
contract; every stage (loader, Great Expectations suite, dbt via the `raw.codebook_*` tables,
demo generator) goes through `load_codebook()` instead of listing columns itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CODEBOOK_PATH = Path(__file__).with_name("survey_codebook.yaml")


@dataclass(frozen=True)
class ResponseScale:
    name: str
    values: dict[int, str]
    missing: dict[int, str]
    recode: str  # keep | reverse | map
    recode_map: dict[int, int] = field(default_factory=dict)
    negative_keeps: bool = False

    @property
    def valid_min(self) -> int:
        return min(self.values)

    @property
    def valid_max(self) -> int:
        return max(self.values)

    def recoded(self, answer: int, negative: bool = False) -> int:
        """The recoded value (higher = more resource / resilience) of a valid answer."""
        if answer not in self.values:
            raise ValueError(f"{answer} is not a valid answer on scale {self.name}")
        method = "keep" if (negative and self.negative_keeps) else self.recode
        if method == "keep":
            return answer
        if method == "reverse":
            return self.valid_min + self.valid_max - answer
        return self.recode_map[answer]

    def recoded_range(self) -> tuple[int, int]:
        if self.recode == "map":
            return min(self.recode_map.values()), max(self.recode_map.values())
        return self.valid_min, self.valid_max


@dataclass(frozen=True)
class BackgroundColumn:
    name: str
    type: str  # string | int | float
    required: bool
    nullable: bool = False
    unique: bool = False
    private: bool = False
    pattern: str | None = None
    values: dict[int, str] = field(default_factory=dict)
    missing: dict[int, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    min_exclusive: float | None = None
    default: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Item:
    name: str
    scale: str
    response: ResponseScale
    negative: bool
    wording: str
    position: int

    @property
    def type(self) -> str:
        return "int"

    def score_0_10(self, answer: int) -> float:
        lo, hi = self.response.recoded_range()
        return 10.0 * (self.response.recoded(answer, self.negative) - lo) / (hi - lo)


@dataclass(frozen=True)
class Scale:
    name: str
    group: str
    label: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Codebook:
    version: int
    response_scales: dict[str, ResponseScale]
    background: tuple[BackgroundColumn, ...]
    items: tuple[Item, ...]
    scales: dict[str, Scale]
    groups: dict[str, dict]
    min_valid_share: float
    veerkrachtig: dict
    typology: dict
    age_bands: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    profiles: dict = field(default_factory=dict)

    # -- columns -------------------------------------------------------------------------
    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.background] + [i.name for i in self.items]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.background if c.required] + [i.name for i in self.items]

    @property
    def private_columns(self) -> list[str]:
        return [c.name for c in self.background if c.private]

    def column_type(self, name: str) -> str:
        for col in self.background:
            if col.name == name:
                return col.type
        if name in self.item_names:
            return "int"
        raise KeyError(f"{name} is not a codebook column")

    @property
    def item_names(self) -> list[str]:
        return [i.name for i in self.items]

    def item(self, name: str) -> Item:
        for item in self.items:
            if item.name == name:
                return item
        raise KeyError(f"{name} is not a codebook item")

    def background_column(self, name: str) -> BackgroundColumn:
        for col in self.background:
            if col.name == name:
                return col
        raise KeyError(f"{name} is not a codebook background column")

    def allowed_codes(self, name: str) -> list[int] | None:
        """Every code a coded int column may hold (valid answers and missing codes)."""
        if name in self.item_names:
            rs = self.item(name).response
            return sorted({*rs.values, *rs.missing})
        col = self.background_column(name)
        if col.values:
            return sorted({*col.values, *col.missing})
        return None

    # -- scales --------------------------------------------------------------------------
    def scales_in_group(self, group: str) -> list[Scale]:
        return [s for s in self.scales.values() if s.group == group]

    @property
    def resource_groups(self) -> list[str]:
        return [g for g, spec in self.groups.items() if spec["kind"] == "resource"]

    @property
    def indicators(self) -> list[str]:
        """Indicator names of the monitor tables: every scale plus the share veerkrachtig
        and the resource group scores."""
        return [*self.scales, *self.resource_groups, "pct_veerkrachtig"]


def _response_scale(name: str, spec: dict) -> ResponseScale:
    return ResponseScale(
        name=name,
        values={int(k): str(v) for k, v in spec["values"].items()},
        missing={int(k): str(v) for k, v in spec.get("missing", {}).items()},
        recode=spec["recode"],
        recode_map={int(k): int(v) for k, v in spec.get("map", {}).items()},
        negative_keeps=bool(spec.get("negative_keeps", False)),
    )


def _background(spec: dict) -> BackgroundColumn:
    spec = dict(spec)
    spec["values"] = {int(k): str(v) for k, v in spec.get("values", {}).items()}
    spec["missing"] = {int(k): str(v) for k, v in spec.get("missing", {}).items()}
    return BackgroundColumn(**spec)


PROFILE_SOURCES = ("background", "age_band", "size_class", "regio")


def _profiles(spec: dict, background: list[dict], path: Path) -> dict:
    """The profiles section, refused when a characteristic names an unknown source or a
    background column without codes (its categories would be unknown)."""
    coded = {c["name"] for c in background if c.get("values")}
    for name, characteristic in spec["characteristics"].items():
        source = characteristic.get("from")
        if source not in PROFILE_SOURCES:
            raise ValueError(f"{path}: profiles.characteristics.{name}.from is {source!r}; expected one of {list(PROFILE_SOURCES)}")
        if source == "background" and name not in coded:
            raise ValueError(f"{path}: profiles.characteristics.{name}: no coded background column {name!r} (with values) in the codebook")
    return spec


@cache
def load_codebook(path: Path = CODEBOOK_PATH) -> Codebook:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    response_scales = {n: _response_scale(n, s) for n, s in raw["response_scales"].items()}
    items = tuple(
        Item(
            name=spec["name"],
            scale=spec["scale"],
            response=response_scales[spec["response"]],
            negative=bool(spec.get("negative", False)),
            wording=spec["wording"],
            position=pos,
        )
        for pos, spec in enumerate(raw["items"], start=1)
    )
    scales = {
        name: Scale(
            name=name,
            group=spec["group"],
            label=spec["label"],
            items=tuple(i for i in items if i.scale == name),
        )
        for name, spec in raw["scales"].items()
    }
    empty = [name for name, scale in scales.items() if not scale.items]
    if empty:
        raise ValueError(f"{path}: scales without items: {empty}")
    return Codebook(
        version=raw["codebook_version"],
        response_scales=response_scales,
        background=tuple(_background(c) for c in raw["background"]),
        items=items,
        scales=scales,
        groups=raw["groups"],
        min_valid_share=float(raw["min_valid_share"]),
        veerkrachtig=raw["veerkrachtig"],
        typology=raw["typology"],
        age_bands={str(name): (int(lo), None if hi is None else int(hi)) for name, (lo, hi) in raw["age_bands"].items()},
        profiles=_profiles(raw["profiles"], raw["background"], path),
    )


def respondent_level_columns(codebook: Codebook) -> set[str]:
    """Columns that would carry respondent-level data: ids, answers and personal background.
    Area codes and the edition are not respondent-level (no published table may hold the rest)."""
    area_or_edition = {"edition", "gemeente_code", "buurt_code"}
    return {*codebook.private_columns, *codebook.item_names, *(c.name for c in codebook.background)} - area_or_edition
