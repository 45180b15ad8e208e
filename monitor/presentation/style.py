"""What every drawing for people shares (the factsheets' charts, the maps): the font stack and
the colour of a flagged area ("significant onder de gemeente"), so that a chart and a map of
one page look alike."""

FONT_FAMILY = "Segoe UI, Roboto, Helvetica Neue, Arial, Liberation Sans, DejaVu Sans, sans-serif"
INK = "#222222"
ALERT = "#c0392b"  # flagged below the gemeente: red rows in the charts, red outlines on the maps
