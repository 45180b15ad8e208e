"""A console logger for people waiting at the terminal: one line per step, saying what it did
(assets and their rows, checks passed, how long), problems in full as they happen, and one line
for the steps a failure kept from running, instead of Dagster's full event lines (the event log
and the UI keep everything; dbt's own output goes to a log file, orchestration/assets/dbt.py).

    16:14:01  raw/survey_responses                         0.3 s  9,879 rows
    16:14:04  check raw_survey_responses_contract          2.8 s  passed (86 expectations)
    16:14:12  dbt_build                                   12.0 s  42 tables, 119 dbt tests passed
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from datetime import datetime

from dagster import Field, logger

ROW_COUNT_KEYS = ("dagster/partition_row_count", "dagster/row_count")
NOT_EXECUTED = "Dependencies for step"  # Dagster's message for each step a failure kept from running
LABEL_WIDTH = 44


@dataclass
class _Step:
    started: float
    assets: list[tuple[str, int | None]] = field(default_factory=list)  # (asset, rows)
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    expectations: int = 0


def _rows(metadata) -> int | None:
    for key in ROW_COUNT_KEYS:
        if key in metadata:
            return int(metadata[key].value)
    return None


def _asset_name(key) -> str:
    return "/".join(key.path)


class ProgressHandler(logging.Handler):
    """Collects each step's events and writes its line when the step ends."""

    def __init__(self, stream=None) -> None:
        super().__init__(logging.NOTSET)  # engine events come as DEBUG records: emit picks what to show
        self.stream = stream  # None: whatever sys.stdout is when a line is written
        self.steps: dict[str, _Step] = {}
        self.not_executed = 0

    def _say(self, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(f"{datetime.now():%H:%M:%S}  {text}\n")
        stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            self._message(record, meta)
            return
        handler = getattr(self, f"_on_{event.event_type_value.lower()}", None)
        if handler is not None:
            handler(event, record)

    def _message(self, record: logging.LogRecord, meta: dict) -> None:
        """A step's own message: warnings and errors in full; the rest stays in the event log."""
        message = meta.get("orig_message", record.getMessage())
        if message.startswith(NOT_EXECUTED):
            self.not_executed += 1  # said once, at the end of the run
        elif record.levelno >= logging.WARNING:
            self._say(f"{meta.get('step_key') or ''}  {message}".strip())

    def _on_step_start(self, event, record) -> None:
        self.steps[event.step_key] = _Step(record.created)

    def _on_asset_materialization(self, event, record) -> None:
        step = self.steps.get(event.step_key)
        if step is not None:
            materialization = event.event_specific_data.materialization
            step.assets.append((_asset_name(materialization.asset_key), _rows(materialization.metadata)))

    def _on_asset_check_evaluation(self, event, record) -> None:
        evaluation = event.event_specific_data
        step = self.steps.get(event.step_key)
        if step is None:
            return
        if evaluation.passed:
            step.passed.append(evaluation.check_name)
        elif evaluation.severity.value == "WARN":
            step.warned.append(evaluation.check_name)
        else:
            step.failed.append(evaluation.check_name)
        expectations = (evaluation.metadata or {}).get("expectations_evaluated")
        step.expectations += int(expectations.value) if expectations is not None else 0

    def _on_step_success(self, event, record) -> None:
        step = self.steps.pop(event.step_key, None)
        if step is not None:
            self._say(f"{_label(event.step_key, step):<{LABEL_WIDTH}} {record.created - step.started:5.1f} s  {_what(event.step_key, step)}")

    def _on_step_failure(self, event, record) -> None:
        step = self.steps.pop(event.step_key, None) or _Step(record.created)
        error = event.event_specific_data.error
        first = (str((error.cause or error).message) if error else "").strip().splitlines()
        self._say(f"{_label(event.step_key, step):<{LABEL_WIDTH}} FAILED: {first[0] if first else 'see the summary'}")

    def _on_run_failure(self, event, record) -> None:
        if self.not_executed:
            self._say(f"{self.not_executed} step(s) not run because of the failure above (the summary below says what to do)")
        self.not_executed = 0

    _on_run_success = _on_run_failure


def _label(step_key: str, step: _Step) -> str:
    """What the step is to a reader: its asset, its check (on how many tables), or its dbt build."""
    checks = step.passed + step.failed + step.warned
    names = sorted(set(checks))
    if not step.assets and len(names) == 1:
        return f"check {names[0]}" + (f" ({len(checks)} tables)" if len(checks) > 1 else "")
    if len(step.assets) == 1:
        return step.assets[0][0]
    return step_key


def _what(step_key: str, step: _Step) -> str:
    parts = []
    if len(step.assets) == 1 and step.assets[0][1] is not None:
        parts.append(f"{step.assets[0][1]:,} rows")
    elif len(step.assets) > 1:
        parts.append(f"{len(step.assets)} tables")
    if step.passed and not step.failed and not step.warned and len(step.passed) == 1 and not step.assets:
        parts.append(f"passed ({step.expectations} expectations)" if step.expectations else "passed")
    elif step.passed:
        kind = "dbt tests" if step_key.startswith("dbt") else "checks"
        parts.append(f"{len(step.passed)} {kind} passed")
    if step.warned:
        parts.append(f"WARNING: {', '.join(step.warned)} (does not block; see the summary)")
    if step.failed:
        parts.append(f"FAILED: {', '.join(step.failed)}")
    return ", ".join(parts) or "done"


def edition_banner(edition: int, number: int, total: int) -> str:
    """The line before each edition of a refresh: which one, and how far along."""
    text = f" edition {edition} ({number} of {total}) "
    return f"{text:=^72}"


@logger(
    config_schema={"name": Field(str, is_required=False, default_value="monitor")},
    description="One line per step on stdout: what it did (rows, checks passed), problems in full.",
)
def progress_console_logger(init_context) -> logging.Logger:
    log = logging.getLogger(f"{init_context.logger_config['name']}.progress")
    log.setLevel(logging.DEBUG)  # engine events are DEBUG records; the handler picks what to show
    log.propagate = False
    if not log.handlers:
        log.addHandler(ProgressHandler())
    return log
