"""What a data engineer should do when a check fails: one place for the advice that the CLI
summary and the check metadata in the Dagster UI show beside the failure.

The advice depends on the stage the check guards (a delivery problem at the raw stage, a model
defect at the audit stage) and, for the raw and weighting checks, on the check itself."""

from dataclasses import dataclass

from dagster import AssetKey

# the first part of an asset key is its schema, which is its stage in the flow
STAGES = {
    "raw": "land (raw files)",
    "staging": "stage",
    "intermediate": "model",
    "weighting": "model (weights)",
    "reference": "reference data",
    "audit": "audit (before publishing)",
    "monitor": "publish",
}

UNPUBLISHED = "Nothing was published: schema monitor still holds the previous publication."

BY_CHECK = {
    "raw_survey_responses_contract": (
        "The survey delivery breaks the codebook contract. Ask the supplier for a corrected file (or "
        "correct the columns and lines listed above in a copy), place it in the landing zone as the "
        "edition's survey file and run `monitor refresh --edition {edition}` again. "
    ),
    "raw_kwb_key_figures_contract": (
        "The CBS key figures do not fit the edition. Place the Kerncijfers wijken en buurten of "
        "{edition} in the landing zone (`monitor fetch-cbs --year {edition} --overwrite` downloads "
        "them) and run `monitor refresh --edition {edition}` again. "
    ),
    "calibration_weights_contract": (
        "The calibration weights miss a CBS margin or the trimming bound. The failing raking domains "
        "and margins are in weighting.raking_domains and weighting.raking_margins (edition {edition}); "
        "usually a gemeente with very few respondents in an age band or sex. Check those counts in "
        "the delivery; if they are real, raise it with the methodologists (pooling, margins). "
    ),
}

BY_STAGE = {
    "raw": "The delivered file does not meet the contract: correct it and refresh the edition again. ",
    "staging": (
        "The staged survey breaks the codebook after recoding, or a buurt is not in the CBS layout. "
        "Compare the delivery with monitor/codebook/survey_codebook.yaml and the edition's CBS file; "
        "fix whichever is wrong and refresh the edition. "
    ),
    "reference": "A reference seed in dbt_project/seeds/ is inconsistent: correct the CSV and refresh. ",
    "intermediate": (
        "An intermediate model breaks a rule of its own (dbt test above). Query the table for the "
        "failing rows; the cause is in the model SQL or the reference seeds, not in the delivery. "
    ),
    "audit": (
        "The candidate in schema audit breaks a publication rule: a defect in the model code, not in "
        "the delivery. Inspect the audit table for edition {edition}, fix the code and refresh; "
        "report it to the maintainers with the Dagster run id. "
    ),
}


@dataclass(frozen=True)
class Advice:
    stage: str
    what_to_do: str


def advice(asset_key: AssetKey, check_name: str, edition: int | None) -> Advice:
    """The stage a failed check guards and what to do about it."""
    schema = asset_key.path[0]
    text = BY_CHECK.get(check_name) or BY_STAGE.get(schema, "Inspect the failing rows named above and refresh again. ")
    return Advice(
        stage=STAGES.get(schema, schema),
        what_to_do=(text + UNPUBLISHED).format(edition=edition if edition is not None else "<edition>"),
    )


STEP_ADVICE = [
    # (step key prefix, what to do)
    ("raw", "The landing file named above could not be read. Deliver a corrected file in the landing zone and "
            "run `monitor refresh --edition {edition}` again."),
    ("dbt", "A dbt model or test failed (its output is above, the failing test is listed among the checks). "
            "Fix the cause it names and refresh the edition again."),
]


def step_advice(step_key: str, edition: int | None) -> str:
    """What to do when a step raised an error (rather than a check failing)."""
    text = next((t for prefix, t in STEP_ADVICE if step_key.startswith(prefix)), "The step raised the error above; fix its cause and refresh the edition again.")
    return f"{text} {UNPUBLISHED}".format(edition=edition if edition is not None else "<edition>")
