"""CBS Kerncijfers wijken en buurten: the project's spec of it (kwb_variables.yaml), the
reader of delivered files (kwb.py) and the StatLine CSV writer the demo uses (statline.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

KWB_VARIABLES_PATH = Path(__file__).with_name("kwb_variables.yaml")
# CBS region codes: the country, a gemeente, a wijk (gemeente + 2 digits), a buurt (wijk + 2)
CODE_PATTERN = r"NL\d{2}|GM\d{4}|WK\d{6}|BU\d{8}"


@cache
def kwb_spec() -> dict:
    """kwb_variables.yaml as a dict (table ids, identification columns, variables)."""
    return yaml.safe_load(KWB_VARIABLES_PATH.read_text(encoding="utf-8"))


def kwb_variables(required_for: str | None = None) -> list[str]:
    """Base names of the CBS variables the project uses (optionally: those a stage needs)."""
    return [
        v["name"]
        for v in kwb_spec()["variables"]
        if required_for is None or required_for in v["required_for"]
    ]
