"""What every reader of a CBS delivery produces (a StatLine CSV export: monitor.cbs.kwb; a
cbsodata download folder: monitor.cbs.cbsodata_dir), and the error it raises when a file cannot
be read at all. Its own module so that the readers import it, and monitor.cbs.kwb the readers,
in one direction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class KwbFileError(ValueError):
    """The file cannot be read as a KWB export at all; the message names the file and says
    what is wrong and what was expected."""


@dataclass
class RawTable:
    """A delivered table as text, before any cleaning: what each format's reader produces.

    `rows` hold one field per key (text as delivered, padding included; None where the source
    has no value at all). `unreadable` rows could not be split into one field per key: they go
    to `rejected` with their reason, their fields and what was left over (`extra`)."""

    source: Path  # the delivered file or folder (messages, KwbLoad.source_file)
    source_file: str  # what `_source_file` names: the file the rows come from
    keys: list[str]
    rows: list[tuple[int, list[str | None]]]  # (row number, fields)
    unreadable: list[tuple[int, str, list[str | None], str | None]] = field(default_factory=list)
    table_id: str | None = None  # the table the delivery itself says it is, when it says so


__all__ = ["KwbFileError", "RawTable"]
