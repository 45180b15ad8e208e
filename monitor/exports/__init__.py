"""Exports of the published monitor tables for people and other tools (tabellenboek)."""
