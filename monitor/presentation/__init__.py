"""Presenting the monitor tables to people: Dutch labels shared by the tabellenboek and the
factsheets, so that both speak the same language as the users (labels), the one way flagged
wijken and buurten are counted (flagged), and what every drawing shares: its font and colours
(style) and text that stays legible however wide the page draws it (svg_text)."""
