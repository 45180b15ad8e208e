"""The codebook as relational tables, so that dbt recodes and scores by joining instead of
spelling out rules per item. The pipeline writes these to `raw.codebook_*` on every refresh;
the dbt sources point at them."""

from __future__ import annotations

import math

import pandas as pd

from monitor.codebook import Codebook


def item_table(codebook: Codebook) -> pd.DataFrame:
    """One row per item: its scale, group and wording."""
    return pd.DataFrame(
        [
            {
                "item": item.name,
                "item_position": item.position,
                "scale": item.scale,
                "scale_group": codebook.scales[item.scale].group,
                "response_scale": item.response.name,
                "negative": item.negative,
                "wording": item.wording,
            }
            for item in codebook.items
        ]
    )


def _code_rows(column: str, kind: str, values: dict, missing: dict, item=None) -> list[dict]:
    rows = [
        {
            "column_name": column,
            "column_kind": kind,
            "code": code,
            "label": label,
            "is_missing": False,
            "recoded_value": item.response.recoded(code, item.negative) if item else None,
            "score_0_10": item.score_0_10(code) if item else None,
        }
        for code, label in values.items()
    ]
    rows += [
        {"column_name": column, "column_kind": kind, "code": code, "label": label, "is_missing": True,
         "recoded_value": None, "score_0_10": None}
        for code, label in missing.items()
    ]
    return rows


def code_table(codebook: Codebook) -> pd.DataFrame:
    """One row per coded column and code it may hold: whether the code is a missing code,
    its label and, for items, the recoded value (higher = better) and the score on 0..10.
    Codes not listed are invalid."""
    rows = []
    for col in codebook.background:
        if col.values:
            rows += _code_rows(col.name, "background", col.values, col.missing)
    for item in codebook.items:
        rows += _code_rows(item.name, "item", item.response.values, item.response.missing, item)
    frame = pd.DataFrame(rows)
    frame["recoded_value"] = frame["recoded_value"].astype("Int64")
    frame["score_0_10"] = frame["score_0_10"].astype("Float64")
    return frame


def scale_table(codebook: Codebook) -> pd.DataFrame:
    """One row per scale: group, label, number of items and the valid items it needs."""
    return pd.DataFrame(
        [
            {
                "scale": scale.name,
                "scale_group": scale.group,
                "group_kind": codebook.groups[scale.group]["kind"],
                "label": scale.label,
                "n_items": len(scale.items),
                "min_valid_items": math.ceil(round(codebook.min_valid_share * len(scale.items), 9)),
            }
            for scale in codebook.scales.values()
        ]
    )


def rule_table(codebook: Codebook) -> pd.DataFrame:
    """The thresholds of `veerkrachtig` and the typology, as one row."""
    rules = codebook.veerkrachtig
    return pd.DataFrame(
        [
            {
                "veerkrachtig_scale": rules["scale"],
                "resilient_min_recoded": rules["resilient_min_recoded"],
                "min_resilient_items": rules["min_resilient"],
                "min_valid_items": rules["min_valid"],
                "typology_change_scale": codebook.typology["change_scale"],
                "typology_change_threshold": codebook.typology["change_threshold"],
                "codebook_version": codebook.version,
            }
        ]
    )


def type_table(codebook: Codebook) -> pd.DataFrame:
    """The four types of the typology: veerkrachtig yes/no x open to change yes/no."""
    return pd.DataFrame(
        [
            {"type": name, "veerkrachtig": spec["veerkrachtig"], "open_to_change": spec["open_to_change"]}
            for name, spec in codebook.typology["types"].items()
        ]
    )


def profile_characteristic_table(codebook: Codebook) -> pd.DataFrame:
    """One row per background characteristic of the profiles (methodology section 9), in
    reporting order, with where its categories come from."""
    return pd.DataFrame(
        [
            {"characteristic": name, "characteristic_label": spec["label"], "characteristic_order": order, "source": spec["from"]}
            for order, (name, spec) in enumerate(codebook.profiles["characteristics"].items(), start=1)
        ]
    )


def profile_category_table(codebook: Codebook) -> pd.DataFrame:
    """The categories the codebook itself defines: the codes of each coded background
    characteristic plus its unknown category (no answer: a missing code or empty), and the
    age bands. Size classes and regios come from the seeds and the edition's layout (dbt
    model int_profile_categories)."""
    unknown = codebook.profiles["unknown_category"]
    rows = []
    for name, spec in codebook.profiles["characteristics"].items():
        if spec["from"] == "background":
            values = codebook.background_column(name).values
            categories = [(str(code), label, False) for code, label in values.items()] + [(unknown["code"], unknown["label"], True)]
        elif spec["from"] == "age_band":
            categories = [(band, f"{band} jaar", False) for band in codebook.age_bands]
        else:
            continue
        rows += [
            {"characteristic": name, "category": code, "category_label": label, "category_order": order, "is_unknown": is_unknown}
            for order, (code, label, is_unknown) in enumerate(categories, start=1)
        ]
    return pd.DataFrame(rows)


# Every codebook table by its name in the `raw` schema, with the function that builds it.
TABLE_BUILDERS = {
    "codebook_items": item_table,
    "codebook_codes": code_table,
    "codebook_scales": scale_table,
    "codebook_rules": rule_table,
    "codebook_types": type_table,
    "codebook_profile_characteristics": profile_characteristic_table,
    "codebook_profile_categories": profile_category_table,
}


def codebook_tables(codebook: Codebook) -> dict[str, pd.DataFrame]:
    """Every codebook table by its name in the `raw` schema."""
    return {name: build(codebook) for name, build in TABLE_BUILDERS.items()}
