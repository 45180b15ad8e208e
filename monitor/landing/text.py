"""Reading delivered text files: one place decides what counts as empty, binary, UTF-16/UTF-32 or
not UTF-8, so every reader (the survey loader, the CBS loader) refuses such files with the same
kind of message."""

from __future__ import annotations

import codecs
from pathlib import Path

# enough of the start of a file to tell text from binary and UTF-8 from UTF-16/UTF-32
SNIFF_BYTES = 4096
# a wide encoding writes ASCII text with NUL bytes in fixed places: at least this share of them
WIDE_NUL_SHARE = 0.7
WIDE_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def wide_encoding(head: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' when the first bytes of a file are text in that encoding (by its BOM,
    or without one by the NUL bytes beside ASCII characters: every other byte, or three of
    every four); None otherwise."""
    for bom, name in WIDE_BOMS:
        if head.startswith(bom):
            return name
    quads = len(head) // 4
    if quads == 0:
        return None
    nul_share = [head[i : quads * 4 : 4].count(0) / quads for i in range(4)]
    high = [share >= WIDE_NUL_SHARE for share in nul_share]
    if sum(high) == 3:
        return "UTF-32"
    if high in ([True, False, True, False], [False, True, False, True]):
        return "UTF-16"
    return None


def refuse_unreadable_start(path: Path, head: bytes, error: type[Exception], expected: str) -> None:
    """Raise `error` when the first bytes of the file (`head`, SNIFF_BYTES of them) show that it
    is no UTF-8 text: UTF-16/UTF-32 text (saying how to convert it) or binary content."""
    encoding = wide_encoding(head)
    if encoding:
        raise error(
            f"{path}: {encoding} text; expected UTF-8 ({expected}): save it again as UTF-8 "
            f"(e.g. `iconv -f {encoding} -t UTF-8 in{path.suffix} > out{path.suffix}`)"
        )
    if b"\x00" in head:
        raise error(f"{path}: binary content (NUL bytes), not a text file; expected {expected}")


def decode_utf8(path: Path, error: type[Exception], expected: str) -> str:
    """The file's text (a UTF-8 BOM dropped), or `error` naming the file, what is wrong and
    `expected` (what the file should be)."""
    data = path.read_bytes()
    if not data.strip():
        raise error(f"{path}: the file is empty; expected {expected}")
    refuse_unreadable_start(path, data[:SNIFF_BYTES], error, expected)
    try:
        return data.decode("utf-8-sig")  # exports often start with a BOM; utf-8-sig drops it
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise error(
            f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} on line {line}); "
            f"expected {expected}, saved as UTF-8"
        ) from None
