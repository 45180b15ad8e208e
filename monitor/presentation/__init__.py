"""Presenting the monitor tables to people: Dutch labels shared by the tabellenboek and the
factsheets, so that both speak the same language as the users."""
