# Two commands on a fresh machine (Python 3.11 + make): `make demo` and `make test`.
# Each creates .venv when it is missing; `make ui` serves the Dagster UI on 127.0.0.1.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DAGSTER_PORT ?= 3000

.PHONY: demo test ui docs bench lint clean-warehouse

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV): Dagster, dbt-duckdb, DuckDB, Great Expectations, pandas, statsmodels, shapely and"
	@echo "the rest of pyproject.toml (about 1.7 GB; 1-3 minutes the first time, seconds after that) ..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -e ".[dev]"
	@echo "$(VENV) is ready ($$($(BIN)/python -m pip list 2>/dev/null | tail -n +3 | wc -l) packages)."
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/monitor demo-data --if-absent
	$(BIN)/monitor refresh
	$(BIN)/monitor docs

test: $(STAMP)
	$(BIN)/python -m pytest

# where the time goes, against the floor (bench/RESULTS.md); figures, not tests
BENCH_SCALES ?= brabant,brabant_x5,national
BENCH_REPEAT ?= 1
bench: $(STAMP)
	$(BIN)/python bench/bench_pipeline.py --scales $(BENCH_SCALES) --repeat $(BENCH_REPEAT)

docs: $(STAMP)
	$(BIN)/monitor docs

ui: $(STAMP)
	$(BIN)/monitor ui --port $(DAGSTER_PORT)

clean-warehouse:
	rm -rf warehouse/warehouse.duckdb warehouse/dagster_home

lint: $(STAMP)
	$(BIN)/ruff check monitor orchestration data_quality tests
