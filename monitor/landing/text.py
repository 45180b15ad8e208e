"""Reading delivered text files: one place decides what counts as empty, binary or not UTF-8,
so every reader refuses such files with the same kind of message."""

from __future__ import annotations

from pathlib import Path


def decode_utf8(path: Path, error: type[Exception], expected: str) -> str:
    """The file's text (a UTF-8 BOM dropped), or `error` naming the file, what is wrong and
    `expected` (what the file should be)."""
    data = path.read_bytes()
    if not data.strip():
        raise error(f"{path}: the file is empty; expected {expected}")
    if b"\x00" in data[:4096]:
        raise error(f"{path}: binary content (NUL bytes), not a text file; expected {expected}")
    try:
        return data.decode("utf-8-sig")  # exports often start with a BOM; utf-8-sig drops it
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise error(
            f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} on line {line}); "
            f"expected {expected}, saved as UTF-8"
        ) from None
