"""Great Expectations suites (built from the codebook and the CBS spec) and the code that runs
them. `great_expectations` is imported only when a suite runs: it takes seconds to import, and
the Dagster UI and CLI load this package."""
