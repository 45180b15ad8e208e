"""Expectation specs that do not need Great Expectations to be imported.

An `Expect` names a GX 1.x expectation class and its arguments, plus what it means in the
words of the contract, so that check metadata can explain a failure to a data engineer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Expect:
    kind: str  # class name in great_expectations.expectations, e.g. ExpectColumnValuesToBeInSet
    meaning: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str | None:
        if "column_A" in self.kwargs:
            return f"{self.kwargs['column_A']} / {self.kwargs['column_B']}"
        if "column_list" in self.kwargs:
            return " / ".join(self.kwargs["column_list"])
        return self.kwargs.get("column")


TYPE_NAMES = {
    # dtype names as GX 1.x resolves them (numpy names, or pandas extension dtype classes);
    # the runner judges a column's DuckDB type by these names (counting.DTYPE_NAMES)
    "string": ["str", "object"],
    "int": ["int64", "int32", "Int64Dtype", "Int32Dtype"],
    "float": ["float64", "Float64Dtype", "int64", "Int64Dtype"],
}


def column_type(column: str, kind: str) -> Expect:
    return Expect(
        "ExpectColumnValuesToBeInTypeList",
        f"{column} is of type {kind}",
        {"column": column, "type_list": TYPE_NAMES[kind]},
    )


def in_set(column: str, values: list, meaning: str, **extra) -> Expect:
    return Expect("ExpectColumnValuesToBeInSet", meaning, {"column": column, "value_set": list(values), **extra})


def not_null(column: str, meaning: str | None = None, **extra) -> Expect:
    return Expect("ExpectColumnValuesToNotBeNull", meaning or f"{column} is never empty", {"column": column, **extra})
