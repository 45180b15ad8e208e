"""A console logger for people waiting at the terminal: one short line per step start, step
end, check result and message, instead of Dagster's full event lines (the event log and the
UI keep everything)."""

import logging
import sys
from datetime import datetime

from dagster import Field, logger

SHOWN_EVENTS = {
    "STEP_START": lambda event: "started",
    "STEP_SUCCESS": lambda event: "done",
    "STEP_SKIPPED": lambda event: "skipped (an upstream step or blocking check failed)",
    "STEP_FAILURE": lambda event: "FAILED: " + _first_line(event.event_specific_data.error.message),
    "ASSET_CHECK_EVALUATION": lambda event: (
        f"check {event.event_specific_data.check_name}: "
        + _verdict(event.event_specific_data)
    ),
}


def _verdict(evaluation) -> str:
    if evaluation.passed:
        return "passed"
    return "WARNING (does not block)" if evaluation.severity.value == "WARN" else "FAILED"


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if text else ""


class ProgressFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        text = SHOWN_EVENTS[event.event_type_value](event) if event is not None else meta.get("orig_message", record.getMessage())
        step = meta.get("step_key") or ""
        return f"{datetime.now():%H:%M:%S}  {step[:48]:<48}  {text}"


class ProgressFilter(logging.Filter):
    """User messages (INFO and up) and the events above; other engine events are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return record.levelno >= logging.INFO
        return event.event_type_value in SHOWN_EVENTS


@logger(
    config_schema={"name": Field(str, is_required=False, default_value="monitor")},
    description="Short progress lines on stdout: steps, checks, messages.",
)
def progress_console_logger(init_context) -> logging.Logger:
    log = logging.getLogger(f"{init_context.logger_config['name']}.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(ProgressFormatter())
        handler.addFilter(ProgressFilter())
        log.addHandler(handler)
    return log
