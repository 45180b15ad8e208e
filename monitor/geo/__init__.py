"""Boundaries of the gemeenten, wijken and buurten: the optional raw input that puts the
monitor on a map (methodology section 12).

One layout of the landing zone, written by `monitor fetch-cbs-map` (monitor.geo.fetch) and the
demo generator (monitor.demo.boundaries), read by monitor.geo.boundaries:

    <landing>/<edition>/boundaries/gemeenten.geojson   each file optional
    <landing>/<edition>/boundaries/wijken.geojson
    <landing>/<edition>/boundaries/buurten.geojson

as PDOK's *CBS gebiedsindelingen* deliver them: a GeoJSON FeatureCollection in EPSG:28992
(declared with the `crs` member below), one feature per area with the properties `statcode`
(`GM0855`, `WK085501`, `BU08550101`) and `statnaam` (the CBS name). Instead of the GeoJSON
files the folder may hold CBS's *wijk- en buurtkaart* GeoPackage of that year (one `*.gpkg`).
"""

BOUNDARIES_DIR = "boundaries"
# region type -> the GeoJSON file of that level in BOUNDARIES_DIR
GEOJSON_FILES = {"gemeente": "gemeenten.geojson", "wijk": "wijken.geojson", "buurt": "buurten.geojson"}
CODE_PROPERTY = "statcode"
NAME_PROPERTY = "statnaam"
EPSG = 28992  # Amersfoort / RD New: the CRS of every CBS and PDOK boundary file the monitor reads
CRS_MEMBER = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{EPSG}"}}
# the code prefix of each region type (as in the CBS key figures)
CODE_PREFIX = {"gemeente": "GM", "wijk": "WK", "buurt": "BU"}
