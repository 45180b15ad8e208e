"""The code location loads, its lineage reads like the data, and the raw checks block."""

from dagster import AssetKey

from orchestration.definitions import defs


def _graph():
    return defs.resolve_asset_graph()


def _ancestors(graph, key: AssetKey) -> set[AssetKey]:
    seen, todo = set(), [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_lineage_runs_from_raw_files_to_the_published_mart():
    graph = _graph()
    upstream = _ancestors(graph, AssetKey(["monitor", "monitor_area_estimates"]))
    for key in (
        ["raw", "survey_responses"],
        ["raw", "kwb_key_figures"],
        ["raw", "codebook_codes"],
        ["staging", "stg_survey__item_answers"],
        ["intermediate", "int_respondent_indicators"],
    ):
        assert AssetKey(key) in upstream


def test_assets_are_grouped_by_stage():
    graph = _graph()
    groups = {key.path[0]: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["raw"] == "land"
    assert groups["staging"] == "stage"
    assert groups["intermediate"] == "model"
    assert groups["audit"] == "audit"
    assert groups["monitor"] == "publish"


def test_every_published_table_comes_from_a_checked_audit_candidate():
    """Write-audit-publish in the lineage: each monitor/* table is written by the publish step
    from audit/* candidates only, and every candidate has blocking checks."""
    graph = _graph()
    published = [key for key in graph.get_all_asset_keys() if key.path[0] == "monitor"]
    assert len(published) >= 7
    for key in published:
        parents = graph.get(key).parent_keys
        assert parents and all(parent.path[0] == "audit" for parent in parents), key
    blocking = {check.asset_key for check in graph.asset_check_keys if graph.get_check_spec(check).blocking}
    candidates = {parent for key in published for parent in graph.get(key).parent_keys}
    unchecked = {c for c in candidates if c not in blocking} - {AssetKey(["audit", "monitor_small_area_validation"])}
    assert not unchecked


def test_every_stage_has_a_blocking_great_expectations_check():
    """GX suites guard raw, staging, weights and every audit candidate, not only dbt tests."""

    graph = _graph()
    ours = {
        check.asset_key.path[0]
        for check in graph.asset_check_keys
        if graph.get_check_spec(check).blocking and "GX" in (graph.get_check_spec(check).description or "")
    }
    assert {"raw", "staging", "weighting", "audit"} <= ours


def test_raw_checks_are_blocking():
    specs = {spec.name: spec for checks in defs.asset_checks for spec in checks.check_specs}
    for name in ("raw_survey_responses_contract", "raw_kwb_key_figures_contract"):
        assert specs[name].blocking, name


def test_refresh_job_runs_steps_in_one_process():
    job = defs.resolve_job_def("monitor_refresh")
    assert job.executor_def.name == "in_process"
