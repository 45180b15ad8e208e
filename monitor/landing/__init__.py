"""Readers for the landing zone: which editions are there, and the raw files in them."""
