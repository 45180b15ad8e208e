"""The floor: what the monitor refresh computes, done as directly as possible.

    .venv/bin/python bench/floor.py LANDING_DIR OUT_DIR [--edition 2018] [--result RESULT.json]
                                    [--compare WAREHOUSE.duckdb] [--no-exports]

One process, no Dagster, no dbt, no Great Expectations, no warehouse file: an in-memory DuckDB
reads the landing files (survey CSV and CBS StatLine CSV) with read_csv, the codebook tables
and the dbt seeds; plain SQL does what the dbt models do (recode through the codebook, scale
scores, veerkrachtig, typology, weighting targets, area profiles and small-area covariates,
the direct estimates with their linearised CI, Cronbach's alpha); the statistics are the
pipeline's own functions called directly (monitor.statistics.weighting.calibrate,
.importance.resource_importance, .small_area.small_area_estimates) on the same inputs in the
same order. The monitor tables land in schema `monitor` of the in-memory database and are
written as Parquet; then the same export code as the pipeline's (the tabellenboek and the
factsheets) runs on that schema, so both produce the same deliverables.

Left out on purpose (the floor is the transformation, not its safeguards): every check (GX
suites, dbt tests), the raw and staging tables as stored tables, write-audit-publish, the
event log, and the trend (one edition: monitor_trend has no rows in the pipeline either; the
floor writes it empty).

--compare checks the floor against a pipeline warehouse built from the same landing files:
same rows per monitor table, and every number equal within 1e-9 relative to max(1, |value|)
(the largest difference is reported per table).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

T_PROCESS = time.time()

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SEEDS = REPO / "dbt_project" / "seeds"
from monitor.contract import MIN_RESPONDENTS_PER_CELL as MIN_RESPONDENTS  # noqa: E402
from monitor.contract import PROVINCE_CODE as PROVINCIE_CODE  # noqa: E402
from monitor.contract import PROVINCE_NAME as PROVINCIE_NAME  # noqa: E402
from monitor.contract import PUBLISHED_TABLES  # noqa: E402

Z_DBT = 1.959964  # the constant of macros/weighted_estimates.sql
COVARIATES = [
    "pct_65_plus", "pct_0_14", "pct_non_western", "pct_single_households", "mean_income_per_inhabitant",
    "pct_households_low_income", "bijstand_per_1000", "log_population_density", "urbanity", "pct_owner_occupied",
]
GEMEENTE_PROFILE = ["pct_65_plus", "mean_income_per_inhabitant", "pct_households_low_income", "urbanity"]
KWB_NAMES = {  # CBS base name -> stg_cbs__kwb_regions name
    "AantalInwoners": "inhabitants", "Mannen": "men", "Vrouwen": "women", "k_0Tot15Jaar": "age_0_14",
    "k_15Tot25Jaar": "age_15_24", "k_25Tot45Jaar": "age_25_44", "k_45Tot65Jaar": "age_45_64",
    "k_65JaarOfOuder": "age_65_plus", "WestersTotaal": "migration_western", "NietWestersTotaal": "migration_non_western",
    "HuishoudensTotaal": "households", "Eenpersoonshuishoudens": "single_person_households",
    "GemiddeldeHuishoudensgrootte": "mean_household_size", "Bevolkingsdichtheid": "population_density",
    "GemiddeldeWoningwaarde": "mean_property_value", "Koopwoningen": "pct_owner_occupied",
    "GemiddeldInkomenPerInwoner": "mean_income_per_inhabitant", "k_40PersonenMetLaagsteInkomen": "pct_persons_low_income",
    "HuishoudensMetEenLaagInkomen": "pct_households_low_income", "PersonenPerSoortUitkeringBijstand": "persons_on_bijstand",
    "MateVanStedelijkheid": "urbanity", "Omgevingsadressendichtheid": "address_density",
}
MONITOR_TABLES = list(PUBLISHED_TABLES)  # monitor/contract.yaml
# key columns per table, for --compare
KEYS = {
    "monitor_area_estimates": ["area_level", "area_code", "indicator"],
    "monitor_typology": ["area_level", "area_code", "type"],
    "monitor_scale_reliability": ["scale"],
    "monitor_resource_importance": ["level", "resource"],
    "monitor_resource_importance_regio": ["regio_code", "level", "resource"],
    "monitor_resource_steerability": ["resource"],
    "monitor_area_boundaries": ["area_level", "area_code"],
    "monitor_small_area_estimates": ["area_level", "area_code", "indicator"],
    "monitor_small_area_validation": ["area_level", "gemeente_code", "indicator"],
    "monitor_trend": ["area_level", "area_code", "indicator", "edition_from"],
    "monitor_profiles": ["characteristic", "category", "indicator"],
    "monitor_resources_by_resilience": ["indicator"],
}


class Stages:
    """Wall time per stage of the floor."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


# ------------------------------------------------------------------------- load raw


def load_raw(con: duckdb.DuckDBPyConnection, landing: Path, edition: int) -> None:
    from monitor.codebook import load_codebook
    from monitor.codebook.tables import codebook_tables

    folder = landing / str(edition)
    con.execute("create schema raw; create schema reference; create schema monitor")
    # the survey as delivered (the demo writes CSV); the edition is the landing folder's
    con.execute(
        "create table raw.survey as select row_number() over (order by resp_id) as rid, * replace (? as edition) "
        "from read_csv(?, header = true)",
        [edition, str(folder / "survey.csv")],
    )
    # the CBS StatLine CSV: quoted, padded, '.' for secret; column keys carry a number (_5)
    columns = [r[0] for r in con.execute("describe select * from read_csv(?, all_varchar = true, header = true)",
                                         [str(folder / "kwb.csv")]).fetchall()]
    base = {re.sub(r"_\d+$", "", c.lstrip("\ufeff")): c for c in columns}
    figures = ",\n".join(
        f"try_cast(nullif(trim(\"{base[name]}\"), '.') as double) as {name}" for name in KWB_NAMES if name in base
    )
    con.execute(
        f"""create table raw.kwb as
        select trim("{base['Codering']}") as region_code, trim("{base['SoortRegio']}") as region_type,
               {f'trim("{base["WijkenEnBuurten"]}")' if "WijkenEnBuurten" in base else "null::varchar"} as region_label,
               'GM' || substr(trim("{base['Codering']}"), 3, 4) as gemeente_code,
               {figures}
        from read_csv(?, all_varchar = true, header = true)""",
        [str(folder / "kwb.csv")],
    )
    # the boundaries, as the pipeline's loader reads them (GeoJSON or GeoPackage; optional)
    from monitor.geo.boundaries import load_boundaries

    delivered = folder / "boundaries"
    _put(con, "raw.boundaries", load_boundaries(delivered if delivered.is_dir() else None, edition).frame)
    for name, frame in codebook_tables(load_codebook()).items():
        con.register("frame", frame)
        con.execute(f"create table raw.{name} as select * from frame")
        con.unregister("frame")
    seeds = {
        "brabant_gemeenten": "gemeente_code varchar, gemeente_name varchar, corop_code varchar, corop_name varchar, first_edition integer, last_edition integer",
        "size_classes": "size_class varchar, label varchar, min_inhabitants integer, sort_order integer, short_label varchar",
        "size_class_gemeenten": "gemeente_code varchar, gemeente_name varchar, size_class varchar",
        "gemeente_changes": "from_code varchar, from_name varchar, to_code varchar, to_name varchar, change_year integer, kind varchar",
    }
    for name, types in seeds.items():
        spec = ", ".join(f"'{c.split()[0]}': '{c.split()[1]}'" for c in types.split(", "))
        con.execute(f"create table reference.{name} as select * from read_csv(?, header = true, columns = {{{spec}}})",
                    [str(SEEDS / f"{name}.csv")])


# ------------------------------------------------------------------------- transform (the dbt models)


def transform(con: duckdb.DuckDBPyConnection, edition: int) -> None:
    items = [r[0] for r in con.execute("select item from raw.codebook_items order by item_position").fetchall()]
    item_list = ", ".join(items)
    renamed = ",\n".join(f"kwb.{cbs} as {ours}" for cbs, ours in KWB_NAMES.items())
    statements = [
        # staging: respondents with missing codes as NULL
        f"""create table respondents as
        select rid, edition, resp_id, gemeente_code, nullif(trim(buurt_code), '') as buurt_code,
            {", ".join(f"case when {c} in (select code from raw.codebook_codes where column_name = '{c}' and is_missing) then null else {c} end as {c}" for c in ("sex", "education", "household", "paid_work"))},
            age,
            case when age < 25 then '18-24' when age < 45 then '25-44' when age < 65 then '45-64' else '65+' end as age_band,
            coalesce(design_weight, 1.0) as design_weight
        from raw.survey""",
        # staging: one row per respondent and item, recoded through the codebook
        f"""create table item_answers as
        with answers as (
            select rid, item, answer
            from raw.survey unpivot include nulls (answer for item in ({item_list}))
        )
        select answers.rid, items.item, items.scale, codes.recoded_value, codes.score_0_10
        from answers
        inner join raw.codebook_items as items using (item)
        left join raw.codebook_codes as codes
            on codes.column_kind = 'item' and codes.column_name = answers.item and codes.code = answers.answer""",
        # staging: the province's areas in the CBS layout
        f"""create table regions as
        select kwb.region_code, lower(kwb.region_type) as region_type, kwb.gemeente_code,
            case when kwb.region_type = 'Wijk' then kwb.region_code
                 when kwb.region_type = 'Buurt' then 'WK' || substr(kwb.region_code, 3, 6) end as wijk_code,
            b.gemeente_name, b.corop_code, b.corop_name,
            {renamed}
        from raw.kwb as kwb
        inner join reference.brabant_gemeenten as b
            on kwb.gemeente_code = b.gemeente_code
            and {edition} between coalesce(b.first_edition, 0) and coalesce(b.last_edition, 9999)
        where kwb.region_type in ('Gemeente', 'Wijk', 'Buurt')""",
        """create table gemeenten as
        select r.gemeente_code, r.gemeente_name, r.corop_code, r.corop_name, r.inhabitants,
            coalesce(named.size_class, (select arg_max(t.size_class, t.min_inhabitants) from reference.size_classes as t
                                        where t.min_inhabitants is not null and t.min_inhabitants <= r.inhabitants)) as size_class
        from regions as r left join reference.size_class_gemeenten as named using (gemeente_code)
        where r.region_type = 'gemeente'""",
        f"""create table weighting_targets as
        with a as (
            select gemeente_code, corop_code, 0.7 * age_15_24 as y18, age_25_44, age_45_64, age_65_plus,
                   0.7 * age_15_24 + age_25_44 + age_45_64 + age_65_plus as adult_total, men / (men + women) as share_men
            from regions where region_type = 'gemeente'
        )
        select {edition}::bigint as edition, gemeente_code, corop_code, 'age_band' as margin, '18-24' as category, y18 as target_total from a
        union all select {edition}, gemeente_code, corop_code, 'age_band', '25-44', age_25_44 from a
        union all select {edition}, gemeente_code, corop_code, 'age_band', '45-64', age_45_64 from a
        union all select {edition}, gemeente_code, corop_code, 'age_band', '65+', age_65_plus from a
        union all select {edition}, gemeente_code, corop_code, 'sex', '1', adult_total * share_men from a
        union all select {edition}, gemeente_code, corop_code, 'sex', '2', adult_total * (1 - share_men) from a""",
        # scale scores (60 % rule), veerkrachtig, indicators, typology
        """create table scale_scores as
        select a.rid, a.scale, s.scale_group,
            case when count(a.score_0_10) >= any_value(s.min_valid_items) then avg(a.score_0_10) end as score
        from item_answers as a inner join raw.codebook_scales as s using (scale)
        group by a.rid, a.scale, s.scale_group""",
        """create table veerkrachtig as
        select a.rid,
            case when count(a.recoded_value) >= any_value(r.min_valid_items)
                 then count_if(a.recoded_value >= r.resilient_min_recoded) >= any_value(r.min_resilient_items) end as veerkrachtig
        from item_answers as a cross join raw.codebook_rules as r
        where a.scale = r.veerkrachtig_scale
        group by a.rid""",
        """create table indicators as
        select scale as indicator, 0.0 as min_value, 10.0 as max_value from raw.codebook_scales
        union all select distinct scale_group, 0.0, 10.0 from raw.codebook_scales where group_kind = 'resource'
        union all select 'pct_veerkrachtig', 0.0, 100.0""",
        """create table indicator_values as
        select rid, scale as indicator, score as value from scale_scores
        union all
        select rid, scale_group, avg(score) from scale_scores
        where scale_group in (select scale_group from raw.codebook_scales where group_kind = 'resource')
        group by rid, scale_group
        union all
        select rid, 'pct_veerkrachtig', case when veerkrachtig then 100.0 when not veerkrachtig then 0.0 end from veerkrachtig""",
        """create table typology as
        select v.rid, t.type
        from veerkrachtig as v
        inner join (select s.rid, s.score >= r.typology_change_threshold as open_to_change
                    from scale_scores as s inner join raw.codebook_rules as r on s.scale = r.typology_change_scale
                    where s.score is not null) as c using (rid)
        inner join raw.codebook_types as t on t.veerkrachtig = v.veerkrachtig and t.open_to_change = c.open_to_change
        where v.veerkrachtig is not null""",
        # areas above the buurt and the respondents' membership
        f"""create table areas as
        select distinct 'provincie' as area_level, '{PROVINCIE_CODE}' as area_code, '{PROVINCIE_NAME}' as area_name,
            null::varchar as regio_code, null::varchar as size_class, null::varchar as regio_grootteklasse_code from gemeenten
        union all select distinct 'regio', corop_code, corop_name, corop_code, null, null from gemeenten
        union all select distinct 'grootteklasse', g.size_class, s.label, null, g.size_class, null
                  from gemeenten as g inner join reference.size_classes as s using (size_class)
        union all select distinct 'regio_grootteklasse', g.corop_code || '_' || g.size_class, g.corop_name || ', ' || s.short_label,
                  g.corop_code, g.size_class, g.corop_code || '_' || g.size_class
                  from gemeenten as g inner join reference.size_classes as s using (size_class)
        union all select 'gemeente', gemeente_code, gemeente_name, corop_code, size_class,
                  case when size_class is not null then corop_code || '_' || size_class end from gemeenten""",
        f"""create table respondent_areas as
        with m as (select r.rid, g.gemeente_code, g.corop_code, g.size_class
                   from respondents as r inner join gemeenten as g using (gemeente_code))
        select rid, 'provincie' as area_level, '{PROVINCIE_CODE}' as area_code from m
        union all select rid, 'regio', corop_code from m
        union all select rid, 'grootteklasse', size_class from m
        union all select rid, 'regio_grootteklasse', corop_code || '_' || size_class from m where size_class is not null
        union all select rid, 'gemeente', gemeente_code from m""",
        # small-area covariates: profiles, secrecy imputed from wijk then gemeente
        """create table profiles as
        select region_code as area_code, region_type as area_level, gemeente_code, wijk_code, inhabitants,
            0.7 * age_15_24 + age_25_44 + age_45_64 + age_65_plus as adults,
            100.0 * age_65_plus / nullif(inhabitants, 0) as pct_65_plus,
            100.0 * age_0_14 / nullif(inhabitants, 0) as pct_0_14,
            100.0 * migration_non_western / nullif(inhabitants, 0) as pct_non_western,
            100.0 * single_person_households / nullif(households, 0) as pct_single_households,
            mean_income_per_inhabitant, pct_households_low_income,
            1000.0 * persons_on_bijstand / nullif(inhabitants, 0) as bijstand_per_1000,
            ln(1 + population_density) as log_population_density, urbanity, pct_owner_occupied
        from regions""",
        f"""create table small_area_covariates as
        select {edition}::bigint as edition, a.area_level, a.area_code, a.gemeente_code, a.wijk_code,
            coalesce(a.inhabitants, 0) as inhabitants,
            coalesce(a.adults, a.inhabitants * g.adults / nullif(g.inhabitants, 0), 0) as adults,
            {", ".join(f"coalesce(a.{c}, w.{c}, g.{c}) as cov_{c}" for c in COVARIATES)},
            concat_ws(', ', {", ".join(f"case when a.{c} is null then '{c}' end" for c in COVARIATES)}) as imputed_covariates,
            {", ".join(f"g.{c} as gem_{c}" for c in GEMEENTE_PROFILE)},
            coalesce(a.inhabitants, 0) < 50 as suppressed,
            case when coalesce(a.inhabitants, 0) < 50 then 'fewer than 50 inhabitants' end as suppression_reason
        from profiles as a
        left join profiles as w on w.area_level = 'wijk' and a.wijk_code = w.area_code and a.area_level = 'buurt'
        inner join profiles as g on g.area_level = 'gemeente' and a.gemeente_code = g.area_code
        where a.area_level in ('wijk', 'buurt')""",
    ]
    for statement in statements:
        con.execute(statement)


# ------------------------------------------------------------------------- statistics and marts


def _put(con, name: str, frame: pd.DataFrame) -> None:
    con.register("frame", frame)
    con.execute(f"create or replace table {name} as select * from frame")
    con.unregister("frame")


def weighting(con, edition: int) -> None:
    from monitor.statistics.weighting import calibrate

    respondents = con.execute(
        f"""select {edition}::bigint as edition, r.resp_id, r.gemeente_code, g.corop_code, r.sex, r.age_band, r.design_weight
        from respondents as r inner join gemeenten as g using (gemeente_code) order by r.resp_id"""
    ).df()
    targets = con.execute("select * from weighting_targets order by gemeente_code, margin, category").df()
    con.register("frame", calibrate(respondents, targets).weights)
    con.execute("create table weights as select r.rid, w.* from frame as w inner join respondents as r using (resp_id)")
    con.unregister("frame")


# the weighted sums of a cell of values v and weights w (macro weighted_cell_sums), and the
# weighted mean and its linearised variance of a cell aliased `c` (macros weighted_mean,
# weighted_mean_variance)
WEIGHTED_SUMS = """count(*) as n, sum(w.calibration_weight) as sum_w, sum(w.calibration_weight * w.calibration_weight) as sum_w2,
            sum(w.calibration_weight * v.value) as sum_wy, sum(w.calibration_weight * w.calibration_weight * v.value) as sum_w2y,
            sum(w.calibration_weight * w.calibration_weight * v.value * v.value) as sum_w2y2"""


def mean_sql(c: str) -> str:
    return f"({c}.sum_wy / {c}.sum_w)"


def variance_sql(c: str) -> str:
    mean = mean_sql(c)
    return (f"(greatest(0.0, {c}.n / nullif({c}.n - 1, 0) * ({c}.sum_w2y2 - 2 * {mean} * {c}.sum_w2y + {mean} * {mean} * {c}.sum_w2))"
            f" / ({c}.sum_w * {c}.sum_w))")


def cells_sql(values: str, key: str) -> str:
    """Weighted sums per area and `key` (macros weighted_cell_sums)."""
    return f"""
        select ra.area_level, ra.area_code, v.{key},
            {WEIGHTED_SUMS}, avg(v.value) as unweighted_mean
        from {values} as v
        inner join respondent_areas as ra using (rid)
        inner join weights as w using (rid)
        group by all"""


def published_sql(min_value: str, max_value: str, estimate: str) -> str:
    """The published columns of a cell (macro published_estimate_columns), cells aliased c."""
    n = "coalesce(c.n, 0)"
    mean = mean_sql("c")
    half = f"({Z_DBT} * sqrt({variance_sql('c')}))"
    shown = f"not ({n} < {MIN_RESPONDENTS})"
    return f"""
        case when {shown} then {mean} end as {estimate},
        case when {shown} then greatest({min_value}, {mean} - {half}) end as ci_lower,
        case when {shown} then least({max_value}, {mean} + {half}) end as ci_upper,
        {n} as n_respondents,
        coalesce(c.sum_w * c.sum_w / c.sum_w2, 0) as n_effective,
        ({n} < {MIN_RESPONDENTS}) as suppressed,
        case when {n} = 0 then 'no respondents' when {n} < {MIN_RESPONDENTS} then 'fewer than {MIN_RESPONDENTS} respondents' end as suppression_reason"""


def direct_estimates(con, edition: int) -> None:
    """monitor_area_estimates, monitor_typology and monitor_scale_reliability."""
    con.execute(
        f"""create table monitor.monitor_area_estimates as
        with c as ({cells_sql("(select * from indicator_values where value is not null)", "indicator")})
        select {edition}::bigint as edition, g.area_level, g.area_code, g.area_name, g.regio_code, g.size_class,
            g.regio_grootteklasse_code, g.indicator,
            {published_sql("g.min_value", "g.max_value", "estimate")},
            case when not (coalesce(c.n, 0) < {MIN_RESPONDENTS}) then c.unweighted_mean end as unweighted_estimate,
            'calibration-weighted mean, Taylor-linearised 95 % CI' as estimation_method
        from (select * from areas cross join indicators) as g
        left join c using (area_level, area_code, indicator)"""
    )
    con.execute(
        f"""create table monitor.monitor_typology as
        with tv as (select t.rid, k.type, case when t.type = k.type then 100.0 else 0.0 end as value
                    from typology as t cross join raw.codebook_types as k),
             c as ({cells_sql("tv", "type")})
        select {edition}::bigint as edition, g.area_level, g.area_code, g.area_name, g.type,
            {published_sql("0.0", "100.0", "share")}
        from (select * from areas cross join (select type from raw.codebook_types)) as g
        left join c using (area_level, area_code, type)"""
    )
    con.execute(
        f"""create table monitor.monitor_scale_reliability as
        with scales as (select * from raw.codebook_scales where n_items > 1),
        items as (
            select a.* from item_answers as a
            semi join (select a.rid, a.scale from item_answers as a inner join scales using (scale)
                       group by a.rid, a.scale having count(a.recoded_value) = any_value(scales.n_items)) as cc
                using (rid, scale)
        ),
        iv as (select scale, sum(v) as sum_item_variances
               from (select scale, item, var_samp(recoded_value) as v from items group by scale, item) group by scale),
        ss as (select scale, var_samp(s) as sum_variance, count(*) as n_valid
               from (select rid, scale, sum(recoded_value) as s from items group by rid, scale) group by scale)
        select {edition}::bigint as edition, ss.scale, scales.label as scale_label, scales.n_items,
            scales.n_items / (scales.n_items - 1.0) * (1 - iv.sum_item_variances / nullif(ss.sum_variance, 0)) as cronbach_alpha,
            ss.n_valid
        from ss inner join iv using (scale) inner join scales using (scale)"""
    )


def importance(con, edition: int) -> None:
    from monitor.codebook import load_codebook
    from monitor.statistics.importance import resource_importance

    outcome = "veerkracht_score"
    codebook = load_codebook()
    groups = {s.name: s.group for g in codebook.resource_groups for s in codebook.scales_in_group(g)}
    scales = [outcome, *groups]
    columns = ", ".join(f"max(s.score) filter (where s.scale = '{name}') as \"{name}\"" for name in scales)
    wide = con.execute(
        f"""select r.resp_id, any_value(w.calibration_weight) as calibration_weight, {columns}
        from scale_scores as s inner join weights as w using (rid) inner join respondents as r using (rid)
        group by r.rid, r.resp_id order by r.rid"""
    ).df().set_index("resp_id")
    weights = wide.pop("calibration_weight")
    wide = wide.rename_axis(columns="scale")
    result = resource_importance(wide[scales].astype(float), weights, outcome, groups)
    table = result.table.assign(edition=edition, r2_total=result.r2_total, n_respondents=result.n_used,
                                n_excluded=result.n_excluded)
    leading = ["edition", "level", "resource", "resource_group", "rank"]
    _put(con, "monitor.monitor_resource_importance", table[leading + [c for c in table.columns if c not in leading]])
    regio_importance_floor(con, edition, wide, weights, groups)


def regio_importance_floor(con, edition: int, wide: pd.DataFrame, weights: pd.Series, groups: dict[str, str]) -> None:
    """monitor_resource_importance_regio: the pipeline's function on each regio's respondents."""
    from monitor.statistics.tables import IMPORTANCE_LEADING, regio_importance

    regios = con.execute(
        """select r.resp_id, g.corop_code as regio_code from respondents as r inner join gemeenten as g using (gemeente_code)"""
    ).df().set_index("resp_id")
    names = dict(con.execute("select distinct corop_code, corop_name from gemeenten").fetchall())
    frame = wide.assign(calibration_weight=weights, regio_code=regios["regio_code"])
    table = regio_importance(frame, groups, names).assign(edition=edition)
    leading = ["edition", "regio_code", "regio_name", *IMPORTANCE_LEADING[1:]]
    _put(con, "monitor.monitor_resource_importance_regio", table[leading + [c for c in table.columns if c not in leading]])


def steerability(con, edition: int) -> None:
    """monitor_resource_steerability: the seed on every resource scale of the codebook."""
    con.execute(
        f"""create table monitor.monitor_resource_steerability as
        select {edition}::integer as edition, s.scale as resource, s.scale_group as resource_group, t.steerability, t.reason
        from raw.codebook_scales as s
        left join read_csv('{SEEDS / "resource_steerability.csv"}', all_varchar = true) as t on t.resource = s.scale
        where s.group_kind = 'resource'"""
    )


def area_names(con, edition: int) -> None:
    """Every wijk and buurt named as int_area_names names it: the CBS label (not a bare code),
    else the boundaries' name, else its code; and monitor_area_boundaries."""
    con.execute(
        """create table boundaries as
        select b.region_type as area_level, b.region_code as area_code, nullif(trim(b.region_name), '') as area_name,
            b.geometry, b.source_file
        from raw.boundaries as b inner join gemeenten as g on g.gemeente_code = 'GM' || substr(b.region_code, 3, 4)
        where b.problem is null"""
    )
    con.execute(
        f"""create table area_names as
        with cbs as (select lower(region_type) as area_level, region_code as area_code, gemeente_code,
                        case when upper(region_label) <> region_code then region_label end as cbs_name
                     from raw.kwb where region_type in ('Wijk', 'Buurt'))
        select {edition}::bigint as edition, cbs.area_level, cbs.area_code,
            coalesce(cbs.cbs_name, b.area_name, cbs.area_code) as area_name, g.gemeente_name,
            case when cbs.cbs_name is not null then 'cbs_key_figures' when b.area_name is not null then 'boundaries'
                 else 'code' end as name_source
        from cbs inner join gemeenten as g using (gemeente_code) left join boundaries as b using (area_code)
        union all select {edition}, area_level, area_code, area_name, null, 'reference' from areas"""
    )
    con.execute(
        f"""create table monitor.monitor_area_boundaries as
        select {edition}::integer as edition, n.area_level, n.area_code, n.area_name,
            case when n.area_level = 'gemeente' then n.area_code else 'GM' || substr(n.area_code, 3, 4) end as gemeente_code,
            b.geometry, b.source_file
        from boundaries as b inner join area_names as n using (area_level, area_code)
        where n.area_level in ('gemeente', 'wijk', 'buurt')"""
    )


def profiles(con, edition: int) -> None:
    """monitor_profiles (models int_respondent_characteristics, int_profile_categories,
    monitor_profiles): the weighted figures per background category, and the composition of the
    resilient and the less resilient from per-category sums over per-characteristic totals (the
    sums the pipeline's membership rows of 100 and 0 add up to)."""
    unknown = "(select any_value(category) from raw.codebook_profile_categories where is_unknown)"
    coded = ", ".join(f"coalesce(r.{c}::varchar, {unknown}) as {c}" for c in ("sex", "education", "household", "paid_work"))
    con.execute(
        f"""create table characteristics as
        with described as (
            select r.rid, {coded}, r.age_band, g.size_class as grootteklasse, g.corop_code as regio
            from respondents as r inner join gemeenten as g using (gemeente_code)
        )
        unpivot described on sex, age_band, education, household, paid_work, grootteklasse, regio
        into name characteristic value category"""
    )
    con.execute(
        """create table profile_categories as
        select characteristic, k.category, k.category_label, k.category_order, k.is_unknown
        from raw.codebook_profile_categories as k
        union all
        select c.characteristic, s.size_class, s.label, s.sort_order, false
        from raw.codebook_profile_characteristics as c inner join reference.size_classes as s on c.source = 'size_class'
        union all
        select c.characteristic, r.corop_code, r.corop_name, row_number() over (order by r.corop_code)::integer, false
        from raw.codebook_profile_characteristics as c
        inner join (select distinct corop_code, corop_name from gemeenten) as r on c.source = 'regio'"""
    )
    shown = f"least(coalesce(r.n, 0), coalesce(l.n, 0)) >= {MIN_RESPONDENTS}"
    difference = "(r.share - l.share)"
    half = f"({Z_DBT} * sqrt(r.variance + l.variance))"
    con.execute(
        f"""create table monitor.monitor_profiles as
        with c as (
            select ch.characteristic, ch.category, v.indicator, {WEIGHTED_SUMS}
            from characteristics as ch
            inner join indicator_values as v using (rid) inner join weights as w using (rid)
            where v.value is not null group by all
        ),
        members as (
            select ch.characteristic, ch.category, v.veerkrachtig, w.calibration_weight as w
            from characteristics as ch inner join veerkrachtig as v using (rid) inner join weights as w using (rid)
            where v.veerkrachtig is not null
        ),
        totals as (select characteristic, veerkrachtig, count(*) as n, sum(w) as sum_w, sum(w * w) as sum_w2
                   from members group by all),
        in_category as (select characteristic, category, veerkrachtig, count(*) as n, sum(w) as sum_w, sum(w * w) as sum_w2
                        from members group by all),
        composition_cells as (  -- the cell sums of a value 100 in the category and 0 outside it
            select k.characteristic, k.category, t.veerkrachtig, coalesce(i.n, 0) as n_in_category, t.n, t.sum_w,
                t.sum_w2, 100.0 * coalesce(i.sum_w, 0) as sum_wy, 100.0 * coalesce(i.sum_w2, 0) as sum_w2y,
                10000.0 * coalesce(i.sum_w2, 0) as sum_w2y2
            from profile_categories as k
            inner join totals as t using (characteristic)
            left join in_category as i using (characteristic, category, veerkrachtig)
        ),
        composition as (
            select characteristic, category, veerkrachtig, n_in_category as n, {mean_sql("cc")} as share,
                {variance_sql("cc")} as variance
            from composition_cells as cc
        )
        select {edition}::bigint as edition, k.characteristic, p.characteristic_label, p.characteristic_order,
            k.category, k.category_label, k.category_order, i.indicator,
            {published_sql("i.min_value", "i.max_value", "estimate")},
            coalesce(r.n, 0) as n_resilient, coalesce(l.n, 0) as n_less_resilient,
            case when {shown} then r.share end as share_among_resilient,
            case when {shown} then l.share end as share_among_less_resilient,
            case when {shown} then {difference} end as difference,
            case when {shown} then {difference} - {half} end as difference_ci_lower,
            case when {shown} then {difference} + {half} end as difference_ci_upper,
            case when {shown} then abs({difference}) > {half} end as significant,
            not ({shown}) as composition_suppressed,
            case when not ({shown}) then 'composition: fewer than {MIN_RESPONDENTS} respondents of the category among the '
                || case when coalesce(r.n, 0) < {MIN_RESPONDENTS} then 'resilient' else 'less resilient' end end
                as composition_suppression_reason
        from profile_categories as k
        inner join raw.codebook_profile_characteristics as p using (characteristic)
        cross join indicators as i
        left join c on c.characteristic = k.characteristic and c.category = k.category and c.indicator = i.indicator
        left join composition as r on r.characteristic = k.characteristic and r.category = k.category and r.veerkrachtig
        left join composition as l on l.characteristic = k.characteristic and l.category = k.category and not l.veerkrachtig"""
    )


def resources_by_resilience(con, edition: int) -> None:
    """monitor_resources_by_resilience: the weighted resource scores of the resilient and the
    less resilient and their difference."""
    n = "least(coalesce(r.n, 0), coalesce(l.n, 0))"
    shown = f"{n} >= {MIN_RESPONDENTS}"
    difference = "(r.mean - l.mean)"
    half = f"({Z_DBT} * sqrt(r.variance + l.variance))"
    sides = ",\n".join(
        f"""case when {shown} then {s}.mean end as estimate_{name},
            case when {shown} then greatest(k.min_value, {s}.mean - {Z_DBT} * sqrt({s}.variance)) end as ci_lower_{name},
            case when {shown} then least(k.max_value, {s}.mean + {Z_DBT} * sqrt({s}.variance)) end as ci_upper_{name},
            coalesce({s}.n, 0) as n_{name}"""
        for s, name in (("r", "resilient"), ("l", "less_resilient"))
    )
    con.execute(
        f"""create table monitor.monitor_resources_by_resilience as
        with resources as (
            select scale as indicator, scale_group as resource_group, 'scale' as indicator_kind
            from raw.codebook_scales where group_kind = 'resource'
            union all select distinct scale_group, scale_group, 'resource_group' from raw.codebook_scales where group_kind = 'resource'
        ),
        ranged as (select resources.*, i.min_value, i.max_value from resources inner join indicators as i using (indicator)),
        c as (
            select v.indicator, k.veerkrachtig, {WEIGHTED_SUMS}
            from indicator_values as v inner join veerkrachtig as k using (rid) inner join weights as w using (rid)
            where v.value is not null and k.veerkrachtig is not null and v.indicator in (select indicator from resources)
            group by all
        ),
        s as (
            select indicator, veerkrachtig, n, {mean_sql("c")} as mean, {variance_sql("c")} as variance
            from c
        )
        select {edition}::bigint as edition, k.indicator, k.resource_group, k.indicator_kind,
            {sides},
            case when {shown} then {difference} end as difference,
            case when {shown} then {difference} - {half} end as ci_lower,
            case when {shown} then {difference} + {half} end as ci_upper,
            case when {shown} then abs({difference}) > {half} end as significant,
            {n} as n_respondents, not ({shown}) as suppressed,
            case when not ({shown}) then 'fewer than {MIN_RESPONDENTS} respondents among the '
                || case when coalesce(r.n, 0) <= coalesce(l.n, 0) then 'resilient' else 'less resilient' end end
                as suppression_reason
        from ranged as k
        left join s as r on r.indicator = k.indicator and r.veerkrachtig
        left join s as l on l.indicator = k.indicator and not l.veerkrachtig"""
    )


def small_area(con, edition: int) -> None:
    from monitor.statistics.small_area import INDICATORS, small_area_estimates
    from monitor.statistics.tables import _named, _without_small_direct_figures

    respondents = con.execute(
        f"""select {edition}::bigint as edition, r.resp_id, r.gemeente_code, r.buurt_code,
            case when r.buurt_code is not null then 'WK' || substr(r.buurt_code, 3, 6) end as wijk_code,
            w.calibration_weight as weight,
            max(case when i.indicator = 'veerkracht_score' then i.value end) as veerkracht_score,
            max(case when i.indicator = 'pct_veerkrachtig' then i.value end) as pct_veerkrachtig
        from respondents as r
        inner join weights as w using (rid)
        left join indicator_values as i using (rid)
        group by all order by r.resp_id"""
    ).df()
    areas = con.execute("select * from small_area_covariates order by area_level, area_code").df()
    direct = con.execute(
        """select edition, area_level, area_code, indicator, estimate, ci_lower, ci_upper, n_respondents
        from monitor.monitor_area_estimates
        where area_level in ('provincie', 'gemeente') and indicator in (select unnest(?))
        order by area_level, area_code, indicator""",
        [list(INDICATORS)],
    ).df()
    result = small_area_estimates(respondents, areas, direct)
    # named as int_area_names names them: the CBS label (not a bare code), else the code
    names = con.execute("select * from area_names where area_level in ('wijk', 'buurt')").df()
    _put(con, "monitor.monitor_small_area_estimates", _named(_without_small_direct_figures(result.estimates), names))
    _put(con, "monitor.monitor_small_area_validation", result.validation)


def empty_trend(con) -> None:
    """One edition: no pair of editions to compare (the pipeline's monitor_trend is empty too)."""
    con.execute(
        """create table monitor.monitor_trend (area_level varchar, area_code varchar, area_name varchar,
        indicator varchar, edition_from bigint, edition_to bigint, estimate_from double, estimate_to double,
        difference double, ci_lower double, ci_upper double, significant boolean, n_from bigint, n_to bigint,
        comparability varchar, suppressed boolean, suppression_reason varchar)"""
    )


# ------------------------------------------------------------------------- write and export


def write_tables(con, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for table in MONITOR_TABLES:
        path = out / f"{table}.parquet"
        con.execute(f"copy monitor.{table} to '{path}' (format parquet)")
        rows[table] = con.execute(f"select count(*) from monitor.{table}").fetchone()[0]
    return rows


def exports(con, out: Path, edition: int) -> dict:
    """The pipeline's own export code (tabellenboek with its kaartenboek, factsheets) on the
    floor's monitor schema, in the order of the pipeline's export step."""
    from monitor.exports import kaartenboek
    from monitor.exports.tabellenboek import read_edition, write_export
    from monitor.factsheets import gather_edition, write_factsheet_files
    from monitor.presentation.flagged import below_gemeente_view_sql

    con.execute(below_gemeente_view_sql("monitor"))
    con.execute(
        "create table monitor.monitor_publication_log (edition integer, published_at timestamp with time zone, "
        "dagster_run_id varchar, tables varchar[])"
    )
    con.execute("insert into monitor.monitor_publication_log values (?, ?, 'floor', ?)",
                [edition, datetime.now(UTC), MONITOR_TABLES])
    quiet = lambda message: None  # noqa: E731
    folder = out / "exports" / str(edition)
    figures = gather_edition(con, edition)
    maps = kaartenboek.write_maps(figures, kaartenboek.work_folder(folder), progress=quiet)
    export = write_export(read_edition(con, edition), folder, quiet)
    map_files = kaartenboek.install(maps, folder)
    pages = write_factsheet_files(figures, out / "factsheets" / str(edition), quiet)
    return {"export_files": len(export.files), "kaartenboek_files": len(map_files), "factsheet_pages": pages.pages}


# ------------------------------------------------------------------------- the floor


def import_modules(with_exports: bool) -> None:
    """The project modules the floor calls (imported before the stages, so that stage times
    are computation, as in the pipeline whose definitions import them all up front)."""
    import monitor.codebook.tables  # noqa: F401
    import monitor.statistics.importance  # noqa: F401
    import monitor.statistics.small_area  # noqa: F401
    import monitor.statistics.weighting  # noqa: F401

    if with_exports:
        import monitor.exports.kaartenboek  # noqa: F401
        import monitor.exports.tabellenboek  # noqa: F401
        import monitor.factsheets  # noqa: F401


def run_floor(landing: Path, out: Path, edition: int = 2018, with_exports: bool = True, threads: int | None = None) -> dict:
    stage = Stages()
    started = time.perf_counter()
    with stage("imports"):
        try:
            import_modules(with_exports)
        except ImportError:
            import_modules(False)
    con = duckdb.connect()
    if threads:
        con.execute(f"set threads = {threads}")
    with stage("load raw"):
        load_raw(con, landing, edition)
    with stage("transform (SQL)"):
        transform(con, edition)
    with stage("weighting"):
        weighting(con, edition)
    with stage("direct estimates (SQL)"):
        direct_estimates(con, edition)
    with stage("importance"):
        importance(con, edition)
    with stage("transform (SQL)"):
        area_names(con, edition)
    with stage("SAE"):
        small_area(con, edition)
        empty_trend(con)
    with stage("transform (SQL)"):
        steerability(con, edition)
    with stage("direct estimates (SQL)"):
        profiles(con, edition)
        resources_by_resilience(con, edition)
    with stage("write Parquet"):
        rows = write_tables(con, out)
    extra = {}
    if with_exports:
        with stage("exports"):
            try:
                extra = exports(con, out, edition)
            except Exception as error:  # the export code is another module's; report, do not hide
                extra = {"exports_error": f"{type(error).__name__}: {error}"}
    rows |= {
        "raw.survey": con.execute("select count(*) from raw.survey").fetchone()[0],
        "raw.kwb": con.execute("select count(*) from raw.kwb").fetchone()[0],
        "item_answers": con.execute("select count(*) from item_answers").fetchone()[0],
        "indicator_values": con.execute("select count(*) from indicator_values").fetchone()[0],
        "weights": con.execute("select count(*) from weights").fetchone()[0],
    }
    con.close()
    return {"seconds": time.perf_counter() - started, "stages": stage.seconds, "rows": rows, **extra}


# ------------------------------------------------------------------------- comparison


def compare(warehouse: Path, out: Path, edition: int = 2018, tolerance: float = 1e-9) -> dict:
    """Per monitor table: rows in the pipeline and the floor, rows matched on the keys, the
    largest absolute difference of any number and the non-numeric cells that differ."""
    report = {}
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    for table, keys in KEYS.items():
        edition_column = "edition_to" if table == "monitor_trend" else "edition"
        pipeline = f"(select * from wh.monitor.{table} where {edition_column} = {edition})"
        floor = f"read_parquet('{out / (table + '.parquet')}')"
        columns = con.execute(f"describe select * from {pipeline}").fetchall()
        floor_columns = {r[0] for r in con.execute(f"describe select * from {floor}").fetchall()}
        numeric = [c for c, t, *_ in columns if c in floor_columns and c not in keys
                   and t in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "DECIMAL")]
        other = [c for c, t, *_ in columns if c in floor_columns and c not in keys and c not in numeric]
        n_pipeline = con.execute(f"select count(*) from {pipeline}").fetchone()[0]
        n_floor = con.execute(f"select count(*) from {floor}").fetchone()[0]
        join = " and ".join(f"p.{k} is not distinct from f.{k}" for k in keys)
        # relative to the size of the figure (n_effective runs into the thousands)
        diffs = ", ".join(f"max(abs(p.{c}::double - f.{c}::double) / greatest(1.0, abs(p.{c}::double)))" for c in numeric) or "0"
        nulls = " + ".join(f"count_if((p.{c} is null) <> (f.{c} is null))" for c in numeric) or "0"
        texts = " + ".join(f"count_if(p.{c}::varchar is distinct from f.{c}::varchar)" for c in other) or "0"
        row = con.execute(f"select count(*), {nulls}, {texts}, {diffs} from {pipeline} as p inner join {floor} as f on {join}").fetchone()
        row = [v if v is not None else 0 for v in row]
        worst = max(row[3:] or [0.0]) if numeric else 0.0
        worst_column = numeric[list(row[3:]).index(worst)] if numeric and worst else None
        report[table] = {
            "rows_pipeline": n_pipeline,
            "rows_floor": n_floor,
            "matched": row[0],
            "null_mismatches": row[1],
            "text_mismatches": row[2],
            "max_rel_diff": worst,  # |pipeline - floor| / max(1, |pipeline|)
            "max_rel_diff_column": worst_column,
            "equal": n_pipeline == n_floor == row[0] and row[1] == 0 and row[2] == 0 and worst <= tolerance,
        }
    con.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--edition", type=int, default=2018)
    parser.add_argument("--result", type=Path)
    parser.add_argument("--compare", type=Path, help="a pipeline warehouse built from the same landing files")
    parser.add_argument("--no-exports", action="store_true")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    imports = time.time() - T_PROCESS
    result = run_floor(args.landing, args.out, args.edition, not args.no_exports, args.threads)
    result["stages"]["imports"] += imports
    result["t_process"] = T_PROCESS
    launched = os.environ.get("BENCH_LAUNCHED_AT")  # set by bench/measure.py:run_child
    result["t_launched"] = float(launched) if launched else None
    if launched:
        result["stages"] = {"interpreter start": T_PROCESS - float(launched), **result["stages"]}
    result["t_end"] = time.time()
    import resource

    result["maxrss_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if args.compare:
        result["compare"] = compare(args.compare, args.out, args.edition)
    if args.result:
        args.result.write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps({k: v for k, v in result.items() if k != "compare"}, indent=1, default=str))
    if args.compare:
        for table, r in result["compare"].items():
            print(f"{table:<32} {'equal' if r['equal'] else 'DIFFERENT'}  {r}")


if __name__ == "__main__":
    main()
