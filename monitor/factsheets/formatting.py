"""Numbers as Dutch readers write them: decimal comma, thousands dot, a real minus sign, and
as many decimals as the uncertainty warrants (scores 0..10: one, percentages: none; a
difference gets one more)."""

from __future__ import annotations

from datetime import datetime

MINUS = "\u2212"
DASH = " \u2013 "  # between the bounds of an interval
EMPTY = "\u2013"


def decimals(indicator: str, difference: bool = False) -> int:
    base = 0 if indicator.startswith("pct_") or indicator == "share" else 1
    return base + (1 if difference else 0)


def number(value: float | int | None, digits: int = 1) -> str:
    """6.8123 -> '6,8'; 2877 -> '2.877'; -0.31 -> '−0,3'; -0.01 (digits 1) -> '0,0'."""
    if value is None:
        return EMPTY
    text = f"{value:,.{digits}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if text.startswith("-"):
        text = text[1:] if set(text[1:]) <= set("0,.") else MINUS + text[1:]
    return text


def signed(value: float | None, digits: int = 1) -> str:
    """A difference with its sign: '+0,3', '−0,3', '0,0'."""
    text = number(value, digits)
    return text if value is None or text.startswith(MINUS) or set(text) <= set("0,.") else "+" + text


def interval(lower: float | None, upper: float | None, digits: int = 1, sign: bool = False) -> str:
    show = signed if sign else number
    return f"{show(lower, digits)}{DASH}{show(upper, digits)}"


def count(value: int | None) -> str:
    return number(value, 0)


MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


def moment(value: datetime | None) -> str:
    """A publication time in Dutch, in Dutch local time when the time zone database is there."""
    if value is None:
        return "onbekend"
    zone = "UTC"
    if value.tzinfo is not None:
        try:
            from zoneinfo import ZoneInfo

            value = value.astimezone(ZoneInfo("Europe/Amsterdam"))
            zone = ""
        except Exception:  # no tz database on this machine: keep UTC and say so
            zone = "UTC"
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}, {value:%H:%M}"
    return f"{text} {zone}".strip()
