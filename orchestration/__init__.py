"""Dagster code location of the monitor: land -> validate -> stage -> model -> validate -> publish."""

import warnings

from dagster import BetaWarning, PreviewWarning

# The code location uses two Dagster APIs marked preview or beta (partitioned asset checks, column
# schema change checks). Those warnings speak to whoever upgrades Dagster (the pin in
# pyproject.toml and the tests guard that), not to the data engineer at the terminal.
warnings.filterwarnings("ignore", category=PreviewWarning)
warnings.filterwarnings("ignore", category=BetaWarning)
