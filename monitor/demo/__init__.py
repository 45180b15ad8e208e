"""Seeded, deterministic demo data: Noord-Brabant survey editions with their CBS key figures.

`generate_demo_edition(landing_dir, edition)` writes `<landing>/<edition>/kwb.csv` (a StatLine
CSV as CBS delivers it), `<landing>/<edition>/survey.csv` (or `.sav`, `.parquet`: the raw
survey per the codebook) and, beside the landing zone, `demo_truth/<edition>/truth.json` with
the values the pipeline should recover. Editions 2016-2020, each on its own municipal layout
(2016: Schijndel, Sint-Oedenrode and Veghel; 2017/2018: Meierijstad, Aalburg, Werkendam and
Woudrichem; 2019/2020: Altena; see `layout.py` and dbt_project/seeds/gemeente_changes.csv).
The editions of one seed are the same simulated population a few years apart, with a planted
change between them (`trend.py`) and independent samples. Same seed and arguments ->
byte-identical files.

Some editions' kwb.csv have the habits of real CBS exports (`habits.EDITION_HABITS`: 2016 a
subset of columns in the comma shape of the real 2017 export; 2020 Nuenen's rows broken as in
that export, no respondents there, and Koopwoningen `.` in every row; 2018 clean). With
`cbs_layout=FILE` the edition's kwb.csv is a copy of a real export and the survey lies on its
buurt codes (`cbs_layout.py`).
"""

from monitor.demo.generate import GENERATOR_VERSION, DemoEdition, generate_demo_edition

__all__ = ["GENERATOR_VERSION", "DemoEdition", "generate_demo_edition"]
