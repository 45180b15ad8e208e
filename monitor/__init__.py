"""Domain code of the Monitor Sociale Veerkracht: codebook, landing-zone readers, demo data.

Nothing in this package imports Dagster, dbt or Great Expectations, so that it stays cheap to
import from the CLI, the loaders and the tests.
"""
