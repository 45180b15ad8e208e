"""Dutch labels for what researchers and administrators read: indicators and resource groups
(from the codebook, the one source of their names), area levels, typology types, column
headings and the explanation of suppressed figures."""

from __future__ import annotations

import re
from functools import cache

from monitor.codebook import load_codebook
from monitor.contract import MIN_INHABITANTS_PER_AREA, MIN_RESPONDENTS_PER_CELL

AREA_LEVELS = {
    "provincie": "Provincie",
    "regio": "Regio (COROP)",
    "grootteklasse": "Grootteklasse",
    "regio_grootteklasse": "Grootteklasse binnen regio",
    "gemeente": "Gemeente",
    "wijk": "Wijk",
    "buurt": "Buurt",
}

REGIO_GROOTTEKLASSE = "regio_grootteklasse"

# the two resilience figures every page leads with (and the only indicators of the wijken and buurten)
HEADLINE_INDICATORS = ("veerkracht_score", "pct_veerkrachtig")


# extra indicators that are not a codebook scale or group
DERIVED_INDICATORS = {"pct_veerkrachtig": "Percentage veerkrachtig"}

COLUMNS = {
    "edition": "Editie",
    "area_level": "Niveau",
    "area_code": "Gebiedscode",
    "area_name": "Gebied",
    "regio_code": "Regiocode",
    "size_class": "Grootteklasse",
    "regio_grootteklasse_code": "Grootteklasse binnen regio (code)",
    "gemeente_code": "Gemeentecode",
    "gemeente_name": "Gemeente",
    "name_source": "Bron van de naam",
    "indicator": "Indicator",
    "indicator_label": "Indicator (omschrijving)",
    "indicator_unit": "Eenheid",
    "estimate": "Schatting",
    "ci_lower": "Ondergrens 95%-BI",
    "ci_upper": "Bovengrens 95%-BI",
    "n_respondents": "Aantal respondenten",
    "n_effective": "Effectief aantal respondenten",
    "suppressed": "Onderdrukt",
    "suppression_reason": "Reden onderdrukking",
    "unweighted_estimate": "Ongewogen schatting",
    "estimation_method": "Schattingsmethode",
    "type": "Type",
    "type_label": "Type (omschrijving)",
    "share": "Aandeel (%)",
    "level": "Niveau",
    "resource": "Hulpbron",
    "resource_group": "Groep hulpbronnen",
    "rank": "Rang",
    "std_coefficient": "Gestandaardiseerde coëfficiënt",
    "shapley_r2": "Verklaarde variantie (Shapley R²)",
    "importance_share": "Aandeel in verklaarde variantie (%)",
    "top10": "Top 10",
    "r2_total": "R² totaal",
    "n_excluded": "Niet meegenomen respondenten",
    "regio_name": "Regio",
    "steerability": "Stuurbaarheid",
    "reason": "Reden",
    "scale": "Schaal",
    "scale_label": "Schaal (omschrijving)",
    "n_items": "Aantal items",
    "cronbach_alpha": "Cronbachs alfa",
    "n_valid": "Aantal volledige antwoorden",
    "mse": "Gemiddelde kwadratische fout",
    "inhabitants": "Inwoners",
    "adults": "Volwassenen",
    "method": "Methode",
    "direct_estimate": "Directe schatting",
    "model_estimate": "Modelschatting (voor benchmarking)",
    "gemeente_estimate": "Schatting gemeente",
    "below_gemeente": "Significant onder gemeente",
    "edition_from": "Editie van",
    "edition_to": "Editie naar",
    "estimate_from": "Schatting van",
    "estimate_to": "Schatting naar",
    "difference": "Verschil",
    "significant": "Significant",
    "n_from": "Respondenten van",
    "n_to": "Respondenten naar",
    "comparability": "Vergelijkbaarheid",
    # columns the published tables have beyond the methodology's key columns, and label
    # columns that exports add beside a code (tabellenboek)
    "area_level_label": "Niveau (omschrijving)",
    "level_label": "Niveau (omschrijving)",
    "resource_label": "Hulpbron (omschrijving)",
    "resource_group_label": "Groep hulpbronnen (omschrijving)",
    "model_mse": "Gemiddelde kwadratische fout model (voor benchmarking)",
    "benchmark_shift": "Verschuiving door benchmarking",
    "contrast_se": "Standaardfout verschil met gemeente",
    "direct_ci_lower": "Ondergrens 95%-BI directe schatting",
    "direct_ci_upper": "Bovengrens 95%-BI directe schatting",
    "model_aggregate": "Modelschatting opgeteld naar gemeente (voor benchmarking)",
    "benchmarked": "Gebenchmarkt",
    "within_direct_ci": "Binnen 95%-BI directe schatting",
    "areas": "Aantal gebieden",
    "areas_with_respondents": "Gebieden met respondenten",
    "covariates_absent": "Ontbrekende CBS-kenmerken (model zonder)",
    "own_weight": "Gewicht eigen respondenten in de schatting",
    "direct_contrast_se": "Standaardfout verschil directe schatting met gemeente",
    "flag_basis": "Signalering op basis van",
    "sigma2_area": "Variantie gebiedseffect (model)",
    "mean_own_weight": "Gemiddeld gewicht eigen respondenten",
    # the validation counts per gemeente, level and indicator: an area flagged on both headline
    # indicators counts on each of its two rows (the pages count it once: presentation.flagged)
    "flagged": "Gesignaleerde gebieden op deze indicator",
    "flagged_on_respondents": "Gesignaleerd op eigen respondenten (deze indicator)",
    "flagged_on_model": "Gesignaleerd op het model (deze indicator)",
    "flagged_on_both": "Gesignaleerd op respondenten en model (deze indicator)",
    "published_at": "Gepubliceerd op",
    "dagster_run_id": "Dagster-run",
    # monitor_profiles (who is resilient, methodology section 9)
    "characteristic": "Kenmerk",
    "characteristic_label": "Kenmerk (omschrijving)",
    "characteristic_order": "Volgorde kenmerk",
    "category": "Categorie",
    "category_label": "Categorie (omschrijving)",
    "category_order": "Volgorde categorie",
    "n_resilient": "Respondenten veerkrachtig",
    "n_less_resilient": "Respondenten minder veerkrachtig",
    "share_among_resilient": "Aandeel onder veerkrachtigen (%)",
    "share_among_less_resilient": "Aandeel onder minder veerkrachtigen (%)",
    "difference_ci_lower": "Ondergrens 95%-BI verschil",
    "difference_ci_upper": "Bovengrens 95%-BI verschil",
    "composition_suppressed": "Samenstelling onderdrukt",
    "composition_suppression_reason": "Reden onderdrukking samenstelling",
    # monitor_resources_by_resilience
    "indicator_kind": "Soort indicator",
    "estimate_resilient": "Schatting veerkrachtigen",
    "ci_lower_resilient": "Ondergrens 95%-BI veerkrachtigen",
    "ci_upper_resilient": "Bovengrens 95%-BI veerkrachtigen",
    "estimate_less_resilient": "Schatting minder veerkrachtigen",
    "ci_lower_less_resilient": "Ondergrens 95%-BI minder veerkrachtigen",
    "ci_upper_less_resilient": "Bovengrens 95%-BI minder veerkrachtigen",
}

# headings that differ by table: in monitor_resources_by_resilience the interval and n are
# those of the difference between the resilient and the less resilient
TABLE_COLUMNS = {
    ("monitor_resources_by_resilience", "difference"): "Verschil (veerkrachtig - minder veerkrachtig)",
    ("monitor_resources_by_resilience", "ci_lower"): "Ondergrens 95%-BI verschil",
    ("monitor_resources_by_resilience", "ci_upper"): "Bovengrens 95%-BI verschil",
    ("monitor_resources_by_resilience", "n_respondents"): "Aantal respondenten (kleinste groep)",
    ("monitor_profiles", "estimate"): "Schatting in de categorie",
    ("monitor_profiles", "difference"): "Verschil in aandeel (procentpunten)",
}

# values of monitor_resources_by_resilience.indicator_kind
INDICATOR_KINDS = {"scale": "Hulpbron (schaal)", "resource_group": "Groep hulpbronnen"}

# values of monitor_resource_importance.level
IMPORTANCE_LEVELS = {"resource": "Hulpbron", "group": "Groep hulpbronnen"}

# values of monitor_trend.comparability
COMPARABILITY = {
    "same boundaries": "Zelfde grenzen",
    "harmonised: earlier respondents placed in the later gemeenten": (
        "Geharmoniseerd: respondenten van de eerdere editie ingedeeld bij de latere gemeenten"
    ),
    "stable CBS code, model-based (small-area estimates)": "Ongewijzigde CBS-code, modelschattingen (wijken en buurten)",
}

YES_NO = {True: "ja", False: "nee"}

# values of monitor_resource_steerability.steerability (the toetsingskader)
STEERABILITY = {"short": "korte termijn", "long": "lange termijn"}

# values of monitor_small_area_estimates.flag_basis (small_area.FLAG_BASIS): a flag on the
# model alone, without respondents of its own, is a signal to look at, not a finding
FLAG_BASIS = {
    "respondents": "eigen respondenten",
    "model": "model (CBS-kenmerken)",
    "respondents and model": "eigen respondenten en model",
}

# where a wijk or buurt name comes from (intermediate.int_area_names, methodology section 12)
NAME_SOURCE = {
    "reference": "referentiebestand van de monitor",
    "cbs_key_figures": "CBS Kerncijfers wijken en buurten",
    "boundaries": "CBS-grenzen (wijk- en buurtkaart / PDOK)",
    "code": "geen naam bekend: de CBS-code",
}

MIN_RESPONDENTS_TEXT = f"minder dan {MIN_RESPONDENTS_PER_CELL} respondenten"
# suppression_reason values of the monitor tables (as the pipeline writes them) in Dutch; the
# thresholds are read from the reason itself, so a changed threshold still reads right
SUPPRESSION_REASONS = [
    (
        re.compile(r"composition: fewer than (\d+) respondents of the category among the less resilient"),
        r"samenstelling: minder dan \1 respondenten van de categorie onder de minder veerkrachtigen",
    ),
    (
        re.compile(r"composition: fewer than (\d+) respondents of the category among the resilient"),
        r"samenstelling: minder dan \1 respondenten van de categorie onder de veerkrachtigen",
    ),
    (
        re.compile(r"fewer than (\d+) complete respondents \((\d+) per resource\) for the regression"),
        r"minder dan \1 respondenten met alle hulpbronnen ingevuld (\2 per hulpbron) voor de regressie",
    ),
    (re.compile(r"fewer than (\d+) respondents among the less resilient"), r"minder dan \1 respondenten onder de minder veerkrachtigen"),
    (re.compile(r"fewer than (\d+) respondents among the resilient"), r"minder dan \1 respondenten onder de veerkrachtigen"),
    (re.compile(r"fewer than (\d+) respondents in an edition"), r"minder dan \1 respondenten in een van beide edities"),
    (re.compile(r"fewer than (\d+) respondents"), r"minder dan \1 respondenten"),
    (re.compile(r"fewer than (\d+) inhabitants"), r"minder dan \1 inwoners"),
    (re.compile(r"no published figure"), "geen gepubliceerd cijfer"),
    (re.compile(r"no usable CBS key figures in the delivered file"), "geen bruikbare CBS-kerncijfers in het aangeleverde bestand"),
    (re.compile(r"^no respondents$"), "geen respondenten"),
]
# Two marks for two rules, so that one row never says "onderdrukt" about two different things:
# SUPPRESSED_CELL where disclosure control withholds a row (its `suppressed` column says ja and
# its reason column why) or the gemeente cell a figure rests on; FEW_RESPONDENTS_CELL where only
# the direct figure of a wijk or buurt on 1..9 of its own respondents is withheld, while the
# area's model estimate beside it is published (its `suppressed` column says nee).
SUPPRESSED_CELL = "onderdrukt"
FEW_RESPONDENTS_CELL = f"< {MIN_RESPONDENTS_PER_CELL} resp."
SUPPRESSED_EXPLANATION = (
    f"Een cijfer is onderdrukt als het op minder dan {MIN_RESPONDENTS_PER_CELL} respondenten zou rusten, of (wijken "
    f"en buurten) als het gebied minder dan {MIN_INHABITANTS_PER_AREA} inwoners heeft: zo'n cijfer is te onzeker "
    "en kan herleidbaar zijn tot personen."
)


# estimation_method (monitor_area_estimates) and method (monitor_small_area_estimates) as the
# pipeline writes them, in Dutch: phrase by phrase, in this order, so that every combination
# the small-area model writes reads right (statistics/small_area.py)
METHOD_PHRASES = [
    (re.compile(r"calibration-weighted mean, Taylor-linearised 95 % CI"),
     "gewogen gemiddelde (kalibratiegewichten), 95%-BI door Taylor-linearisatie"),
    (re.compile(r"^synthetic (.*), no respondents"), r"\1, synthetische schatting (geen eigen respondenten)"),
    (re.compile(r"Fay-Herriot EBLUP \(CBS covariates, REML\)"), "Fay-Herriot-model (EBLUP met CBS-kenmerken, REML)"),
    (re.compile(r"nested-error unit-level EBLUP \(CBS covariates, MixedLM REML\)"),
     "nested-error-model op respondentniveau (EBLUP met CBS-kenmerken, MixedLM REML)"),
    (re.compile(r", benchmarked to the gemeente direct estimate"), ", afgestemd op de directe schatting van de gemeente"),
    (re.compile(r", not benchmarked: gemeente direct estimate suppressed"),
     ", niet afgestemd: de directe schatting van de gemeente is onderdrukt"),
    (re.compile(r", clipped to ([\d.]+)\.\.([\d.]+)"), r", begrensd op \1 tot \2"),
]


def method_label(method: str) -> str:
    """How a figure was estimated, in Dutch (a phrase not listed stays as written)."""
    for pattern, dutch in METHOD_PHRASES:
        method = pattern.sub(dutch, method)
    return method


def is_percentage(indicator: str) -> bool:
    """pct_veerkrachtig runs from 0 to 100; every other indicator is a score from 0 to 10."""
    return indicator.startswith("pct_")


def indicator_unit(indicator: str) -> str:
    """The unit of an indicator's figures, short (a column of the tabellenboek)."""
    return "%" if is_percentage(indicator) else "score 0-10"


def indicator_scale(indicator: str) -> str:
    """The unit and range in words, for an axis or a legend: 'score (0–10)'."""
    return "percentage (0–100)" if is_percentage(indicator) else "score (0–10)"


@cache
def indicator_labels() -> dict[str, str]:
    """Every indicator of the monitor tables with its Dutch label: the codebook's scales and
    groups, plus the derived indicators."""
    codebook = load_codebook()
    labels = {name: scale.label for name, scale in codebook.scales.items()}
    labels.update({name: spec["label"] for name, spec in codebook.groups.items() if name in codebook.indicators})
    labels.update(DERIVED_INDICATORS)
    return {name: labels.get(name, name) for name in codebook.indicators}


def indicator_label(name: str) -> str:
    return indicator_labels().get(name, name)


def group_label(group: str) -> str:
    return load_codebook().groups.get(group, {}).get("label", group)


def type_label(name: str) -> str:
    """zelfredzaam_vooruitstrevend -> Zelfredzaam, vooruitstrevend"""
    first, _, second = name.partition("_")
    return f"{first.capitalize()}, {second}" if second else first.capitalize()


def column_label(column: str, table: str | None = None) -> str:
    """The Dutch heading of a column (of `table`, where a table has its own heading for it)."""
    return TABLE_COLUMNS.get((table, column)) or COLUMNS.get(column, column)


def indicator_kind_label(kind: str) -> str:
    return INDICATOR_KINDS.get(kind, kind)


def area_level_label(level: str) -> str:
    return AREA_LEVELS.get(level, level)


def importance_level_label(level: str) -> str:
    return IMPORTANCE_LEVELS.get(level, level)


def steerability_label(steerability: str) -> str:
    return STEERABILITY.get(steerability, steerability)


def comparability_label(comparability: str) -> str:
    return COMPARABILITY.get(comparability, comparability)


def suppression_reason_label(reason: str | None) -> str:
    """The reason a cell is suppressed, in Dutch (no reason given: the respondent rule)."""
    if not reason:
        return MIN_RESPONDENTS_TEXT
    for pattern, dutch in SUPPRESSION_REASONS:
        if pattern.search(reason):
            return pattern.sub(dutch, reason)
    return reason
