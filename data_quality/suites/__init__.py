"""Expectation suites per stage, named by the asset they guard."""
