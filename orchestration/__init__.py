"""Dagster code location of the monitor: land -> validate -> stage -> model -> validate -> publish."""
