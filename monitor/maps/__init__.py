"""Maps of the monitor (methodology section 12): choropleths as self-contained SVG, for the
factsheets (inline) and the kaartenboek (files).

Modules: geometry (EPSG:28992 -> SVG pixels, display simplification with shapely), classes
(class breaks and colours), svg (the map and its legend), boundaries (reading the published
monitor_area_boundaries). What each page maps is decided in monitor/factsheets/maps.py."""

from monitor.maps.boundaries import Boundaries, Boundary, read_boundaries
from monitor.maps.classes import Classes, quantile_classes
from monitor.maps.svg import ChoroplethMap, Drawing, LegendText, MapArea, Marker, choropleth, draw

__all__ = [
    "Boundaries",
    "Boundary",
    "ChoroplethMap",
    "Classes",
    "Drawing",
    "LegendText",
    "MapArea",
    "Marker",
    "choropleth",
    "draw",
    "quantile_classes",
    "read_boundaries",
]
