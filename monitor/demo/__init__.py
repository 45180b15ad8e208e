"""Seeded, deterministic demo data: a Noord-Brabant survey edition with its CBS key figures.

`generate_demo_edition(landing_dir)` writes `<landing>/<edition>/kwb.csv` (a StatLine CSV as
CBS delivers it), `<landing>/<edition>/survey.csv` (the raw survey per the codebook) and,
beside the landing zone, `demo_truth/<edition>/truth.json` with the values the pipeline
should recover. Same seed and arguments -> byte-identical files.
"""

from monitor.demo.generate import GENERATOR_VERSION, DemoEdition, generate_demo_edition

__all__ = ["GENERATOR_VERSION", "DemoEdition", "generate_demo_edition"]
