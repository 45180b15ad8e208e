"""Synthetic boundaries of the demo editions: `<landing>/<edition>/boundaries/{gemeenten,wijken,
buurten}.geojson` in the shape PDOK delivers (the layout of monitor.geo), so that the maps and the
wijk and buurt names of the monitor have something to show without a download.

The shapes are plausible, not real: a rough outline of Noord-Brabant in RD New (EPSG:28992)
is cut into the gemeenten of the base layout by a Voronoi diagram of seeded points, placed
inside their COROP region (West around Breda, Midden around Tilburg, Noordoost around
's-Hertogenbosch and Oss, Zuidoost around Eindhoven) and relaxed by a few Lloyd steps; each
gemeente is cut the same way into the parts it was formed from (Meierijstad), each part into
its wijken, each wijk into its buurten, every cell intersected with its parent. The gemeenten
that merge in a later edition (Altena) are placed side by side, so that their union is one piece.

The geometry is built once per seed on the base layout (`layout.build_base_layout`) and
snapped to whole metres as one coverage: every boundary line is noded on the 1 m grid and
polygonised, and every buurt is the union of the faces inside its cell, so that neighbouring
buurten share their vertices exactly. Wijken and gemeenten are unions of their buurten (the
wijken of an edition are the base wijken under the edition's codes; its gemeenten are unions
of those wijken, so Schijndel 2016 and Altena 2019 come out of the same buurten as Meierijstad
and Aalburg 2018). An area that persists keeps its shape and its name in every edition of a seed.

Names: gemeenten have the real names of the layout; wijken and buurten get invented Dutch
names (seeded, unique within the gemeente of any edition they belong to), because the demo
kwb.csv has codes only for them, as real StatLine exports do: the boundaries are where the
demo's wijk and buurt names come from.

With `generate_demo_edition(..., cbs_layout=FILE)` the boundaries are on the codes of the
real file: each gemeente's shape is the seed's shape of that gemeente, cut afresh into the
file's wijken and buurten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from monitor.demo.layout import BASE_LAYOUT_YEAR, EDITIONS, Layout, build_base_layout, build_layout, gemeente_changes
from monitor.geo import BOUNDARIES_DIR, CODE_PROPERTY, CRS_MEMBER, GEOJSON_FILES, NAME_PROPERTY
from monitor.reference import brabant_gemeenten

GEOMETRY_STREAM, NAME_STREAM, REAL_LAYOUT_STREAM = 6, 7, 8  # random streams (seed, stream)
GRID = 1.0  # metres: coordinates are whole metres, as in PDOK's generalised files
LLOYD_STEPS_GEMEENTE = 4  # relaxation makes rounder cells; more steps would pull the COROPs apart
LLOYD_STEPS_INNER = 2
MERGER_SPREAD = 5_000.0  # metres: how far the gemeenten of a later merger lie from their first
MAX_PLACEMENTS = 20  # attempts to place the gemeenten so that every later merger is one piece

# A rough outline of Noord-Brabant in RD New (metres): Bergen op Zoom in the west, the rivers
# in the north, Land van Cuijk in the east, the Belgian border in the south (about 5,500 km2).
PROVINCE_OUTLINE = (
    (72_000, 388_000), (79_000, 408_000), (88_000, 411_000), (100_000, 413_000), (118_000, 426_000),
    (129_000, 428_000), (140_000, 424_000), (152_000, 423_000), (163_000, 426_000), (176_000, 425_000),
    (189_000, 421_000), (197_000, 412_000), (203_000, 402_000), (190_000, 386_000), (188_000, 374_000),
    (181_000, 366_000), (172_000, 360_000), (160_000, 363_000), (150_000, 367_000), (140_000, 374_000),
    (128_000, 377_000), (118_000, 380_000), (106_000, 377_000), (94_000, 381_000), (82_000, 381_000),
)
# Where the COROP regions lie: every point of the province belongs to the region of its
# nearest anchor; a gemeente's seed point is drawn within its region.
COROP_ANCHORS = {
    "CR33": ((82_000, 392_000), (100_000, 402_000), (112_000, 395_000)),  # West: Bergen op Zoom, Breda
    "CR34": ((130_000, 395_000), (127_000, 418_000), (140_000, 410_000)),  # Midden: Tilburg, Altena
    "CR35": ((150_000, 412_000), (166_000, 417_000), (182_000, 410_000), (196_000, 403_000)),  # Noordoost
    "CR36": ((160_000, 383_000), (176_000, 390_000), (146_000, 375_000), (178_000, 370_000)),  # Zuidoost
}

# Roughly where the largest cities lie (and Aalburg, so that Altena lies along the rivers):
# their seed points start there, so that the map looks like Brabant to those who know it.
CITY_HINTS = {
    "GM0772": (161_000, 383_000), "GM0855": (133_000, 397_000), "GM0758": (112_000, 400_000),  # Eindhoven, Tilburg, Breda
    "GM0796": (149_500, 411_500), "GM0794": (174_000, 385_000), "GM0828": (163_000, 420_000),  # Den Bosch, Helmond, Oss
    "GM0748": (81_000, 385_000), "GM1674": (89_000, 394_000), "GM1948": (165_000, 404_000),  # BoZ, Roosendaal, Meierijstad
    "GM0738": (130_000, 420_000),  # Aalburg
}
CITY_HINT_SD = 1_500.0  # metres

# Parts of invented Dutch place names: compounds ("Kerk" + "akkers") and names of their own.
NAME_HEADS = (
    "Kerk", "Molen", "Berg", "Heide", "Eiken", "Linden", "Elzen", "Beuken", "Wilgen", "Vos", "Haze",
    "Hooge", "Lage", "Oude", "Nieuwe", "Zand", "Water", "Veen", "Mortel", "Beek", "Brug", "Schuur",
    "Akker", "Kouter", "Dorps", "Kapel", "Klooster", "Kasteel", "Populieren", "Vlas", "Klaver", "Rozen",
    "Meulen", "Donk", "Groen", "Zonne", "Lei", "Ven", "Esch", "Hout",
)
NAME_TAILS = (
    "akkers", "wijk", "veld", "hoek", "dijk", "donk", "laar", "hof", "kamp", "beemd", "weide", "straat",
    "eind", "heuvel", "rode", "broek", "hoven", "park", "dreef", "kwartier", "horst", "stede", "dries",
)
NAME_OWN = (
    "De Hoeven", "Het Zand", "Kerkakkers", "Molenwijk", "De Donk", "Het Laar", "De Beemd", "Het Broek",
    "De Heikant", "Het Goor", "De Vlier", "Hoogveld", "De Haag", "Het Hout", "De Mortel", "De Driesprong",
    "Het Ven", "De Kouter", "Vinkenhof", "De Bunders", "Het Hofke", "De Hazelaar", "Eikenburg",
    "De Gement", "Het Spoor", "De Akkers", "Boschpoort", "De Kampen", "Het Eiland", "De Looi",
)
DIRECTIONS = ("Noord", "Oost", "Zuid", "West")
DIRECTION_SHARE = 0.4  # of the wijken besides the centre: named after where they lie
TINY_BUURT = 49  # inhabitants: an industrial estate or the scattered houses of the outskirts


@dataclass(frozen=True)
class Boundaries:
    """The shapes and names of one edition, per level: frames of code, name, geometry (by code)."""
    edition: int
    gemeenten: pd.DataFrame
    wijken: pd.DataFrame
    buurten: pd.DataFrame

    def levels(self) -> dict[str, pd.DataFrame]:
        return {"gemeente": self.gemeenten, "wijk": self.wijken, "buurt": self.buurten}


# -- geometry -------------------------------------------------------------------------------
def _points_in(parent, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random points inside `parent` (rejection sampling in its bounding box)."""
    xmin, ymin, xmax, ymax = parent.bounds
    shapely.prepare(parent)
    points = np.empty((0, 2))
    while len(points) < n:
        candidates = rng.uniform((xmin, ymin), (xmax, ymax), (4 * n + 8, 2))
        inside = shapely.contains_xy(parent, candidates[:, 0], candidates[:, 1])
        points = np.vstack([points, candidates[inside]])
    return points[:n]


def _cells(points: np.ndarray, parent) -> np.ndarray:
    """The Voronoi cells of `points` (in their order) intersected with `parent`: they tile it."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=parent, ordered=True)
    return shapely.intersection(shapely.get_parts(diagram), parent)


def _relax(points: np.ndarray, parent, steps: int) -> np.ndarray:
    """Lloyd steps: every point moves to the centre of its cell (a point inside the cell where
    the centre falls outside the parent, so that every cell keeps a piece of the parent)."""
    for _ in range(steps):
        cells = _cells(points, parent)
        centres = shapely.centroid(cells)
        outside = ~shapely.contains(parent, centres)
        centres[outside] = shapely.point_on_surface(cells[outside])
        points = shapely.get_coordinates(centres)
    return points


def _tile(parent, n: int, rng: np.random.Generator, steps: int = LLOYD_STEPS_INNER) -> np.ndarray:
    """n cells tiling `parent`: Voronoi cells of seeded points inside it, relaxed."""
    if n == 1:
        return np.array([parent], dtype=object)
    return _cells(_relax(_points_in(parent, n, rng), parent, steps), parent)


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """The positions of each distinct key, by key (a groupby without the pandas overhead)."""
    order = np.argsort(keys, kind="stable")
    return np.split(order, np.flatnonzero(keys[order][1:] != keys[order][:-1]) + 1)


def _snap_coverage(cells: np.ndarray, labels: list[str]) -> np.ndarray:
    """The cells (a tiling, in floating point) on the GRID as an exact coverage: the boundary
    lines noded on the grid and polygonised; each cell is the union of the faces inside it.
    Neighbours then share every vertex, so unions of them have no slivers."""
    lines = shapely.union_all(shapely.boundary(cells), grid_size=GRID)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    inner = shapely.point_on_surface(faces)
    tree = shapely.STRtree(cells)
    face_index, cell_index = tree.query(inner, predicate="within")
    owner = np.full(len(faces), -1)
    _, first = np.unique(face_index, return_index=True)  # a point on a shared edge: the first cell
    owner[face_index[first]] = cell_index[first]
    unowned = np.flatnonzero(owner < 0)  # a sliver between float cells: the nearest one
    if len(unowned):
        owner[unowned] = tree.query_nearest(inner[unowned], all_matches=False)[1]
    snapped = np.empty(len(cells), dtype=object)
    for group in _groups(owner):  # most cells are one face
        snapped[owner[group[0]]] = faces[group[0]] if len(group) == 1 else shapely.coverage_union_all(faces[group])
    empty = [labels[i] for i in range(len(cells)) if snapped[i] is None]
    if empty:  # a cell smaller than the grid: not seen with relaxed cells, but say which
        raise ValueError(f"demo boundaries: the shapes of {empty} vanished on the {GRID} m grid; "
                         "use another seed and report it")
    return snapped


@cache
def province() -> shapely.Polygon:
    return shapely.Polygon(PROVINCE_OUTLINE)


def _corop_regions() -> dict[str, shapely.Geometry]:
    """Every COROP region: the part of the province nearest to one of its anchors."""
    codes = [code for code, anchors in COROP_ANCHORS.items() for _ in anchors]
    cells = _cells(np.array([a for anchors in COROP_ANCHORS.values() for a in anchors], float), province())
    return {code: shapely.union_all(cells[[c == code for c in codes]]) for code in COROP_ANCHORS}


def _corop_of(codes: list[str]) -> dict[str, str]:
    """The COROP region of the base layout's gemeenten (seed brabant_gemeenten)."""
    seed = brabant_gemeenten(BASE_LAYOUT_YEAR).set_index("gemeente_code")["corop_code"]
    missing = [c for c in codes if c not in seed.index]
    if missing:
        raise ValueError(f"dbt_project/seeds/brabant_gemeenten.csv has no COROP region for {missing} "
                         f"in {BASE_LAYOUT_YEAR}; add them (the demo boundaries place gemeenten by region)")
    return {c: seed[c] for c in codes}


def merger_groups(seed: int) -> list[list[str]]:
    """The base gemeenten that share a gemeente in some edition (Aalburg, Werkendam and
    Woudrichem in Altena 2019), each group in code order; gemeenten that never merge are alone."""
    base = build_base_layout(seed).buurten["gemeente_code"].to_numpy()
    group = {code: code for code in base}

    def root(code: str) -> str:
        while group[code] != code:
            code = group[code]
        return code

    for edition in EDITIONS:
        current = build_layout(edition, seed).buurten["gemeente_code"].to_numpy()
        for code in np.unique(current):
            members = sorted(set(base[current == code]))
            for other in members[1:]:
                group[root(other)] = root(members[0])
    groups: dict[str, list[str]] = {}
    for code in sorted(group):
        groups.setdefault(root(code), []).append(code)
    return sorted(groups.values())


def _place_gemeenten(codes: list[str], groups: list[list[str]], rng: np.random.Generator) -> np.ndarray:
    """Seed points of the gemeenten (in `codes` order): each group's first near its CITY_HINT
    or else anywhere inside its COROP region, the others of a group within MERGER_SPREAD of
    it (and inside the province)."""
    regions, corop = _corop_regions(), _corop_of(codes)
    position = {}
    for members in groups:
        if members[0] in CITY_HINTS:
            first = np.array(CITY_HINTS[members[0]], float) + rng.normal(0, CITY_HINT_SD, 2)
        else:
            first = _points_in(regions[corop[members[0]]], 1, rng)[0]
        position[members[0]] = first
        for code in members[1:]:
            near = shapely.Point(first).buffer(MERGER_SPREAD).intersection(province())
            position[code] = _points_in(near, 1, rng)[0]
    return np.array([position[c] for c in codes])


def _gemeente_cells(codes: list[str], groups: list[list[str]], rng: np.random.Generator) -> np.ndarray:
    """The base gemeenten tiling the province; placed again (up to MAX_PLACEMENTS times) until
    every group of a later merger is one piece, so that the merged gemeente is too."""
    cells = None
    for _ in range(MAX_PLACEMENTS):
        points = _relax(_place_gemeenten(codes, groups, rng), province(), LLOYD_STEPS_GEMEENTE)
        cells = _cells(points, province())
        index = {c: i for i, c in enumerate(codes)}
        merged = [shapely.union_all(cells[[index[c] for c in g]]) for g in groups if len(g) > 1]
        if all(shape.geom_type == "Polygon" for shape in merged):
            break
    return cells  # after MAX_PLACEMENTS a merger may be in pieces: allowed, just less pretty


# -- names ----------------------------------------------------------------------------------
class _Namer:
    """Invented names, unique within a scope (the used names of a level in one gemeente or
    group of gemeenten that merge)."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def place_name(self, used: set[str]) -> str:
        for _ in range(50):
            if self.rng.random() < 0.25:
                name = NAME_OWN[self.rng.integers(len(NAME_OWN))]
            else:
                name = NAME_HEADS[self.rng.integers(len(NAME_HEADS))] + NAME_TAILS[self.rng.integers(len(NAME_TAILS))]
            if name not in used:
                return self.take(name, used)
        return self.take(self.unique("Nieuwbouw", used), used)

    @staticmethod
    def unique(name: str, used: set[str]) -> str:
        """`name`, or `name II`, `name III` ... when taken."""
        numerals = ("", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X")
        for suffix in numerals:
            if name + suffix not in used:
                return name + suffix
        return f"{name} {len(used)}"

    @staticmethod
    def take(name: str, used: set[str]) -> str:
        used.add(name)
        return name


def _direction(centre: shapely.Point, of: shapely.Point) -> str:
    angle = np.degrees(np.arctan2(centre.y - of.y, centre.x - of.x)) % 360  # 0 = east
    return DIRECTIONS[int(((90 - angle) % 360 + 45) // 90) % 4]


def _wijk_names(cells: np.ndarray, part_name: str, multi_part: bool, used: set[str], namer: _Namer) -> list[str]:
    """The wijk nearest the part's centre is its Centrum, some others are named after where
    they lie ("Oss Noord"), the rest get invented names."""
    centres = shapely.centroid(cells)
    middle = shapely.centroid(shapely.union_all(cells))
    nearest = int(np.argmin(shapely.distance(centres, middle)))
    names = []
    for i, centre in enumerate(centres):
        if i == nearest:
            name = namer.unique(f"{part_name} Centrum" if multi_part else "Centrum", used)
        elif namer.rng.random() < DIRECTION_SHARE and f"{part_name} {_direction(centre, middle)}" not in used:
            name = f"{part_name} {_direction(centre, middle)}"
        else:
            names.append(namer.place_name(used))
            continue
        names.append(namer.take(name, used))
    return names


def _buurt_names(wijk_name: str, inhabitants: np.ndarray, used: set[str], namer: _Namer) -> list[str]:
    """Buurten with almost nobody are an industrial estate or the scattered houses of the wijk."""
    names = []
    base = wijk_name.removesuffix(" Centrum")
    for count in inhabitants:
        if count <= TINY_BUURT:
            kind = "Bedrijventerrein" if namer.rng.random() < 0.5 else "Verspreide huizen"
            name = namer.unique(f"{kind} {base}", used)
            names.append(namer.take(name, used))
        else:
            names.append(namer.place_name(used))
    return names


# -- the base geometry of a seed ------------------------------------------------------------
@dataclass(frozen=True)
class _BaseGeometry:
    buurt_shapes: np.ndarray  # per area (base buurt row)
    buurt_names: list[str]
    wijk_shapes: dict[str, shapely.Geometry]  # base wijk code -> its shape (the union of its buurten)
    wijk_names: dict[str, str]


def _hierarchy(buurten: pd.DataFrame) -> dict[str, dict[str, dict[str, list[int]]]]:
    """gemeente -> part (origin gemeente) -> wijk -> buurt rows, in the order of the rows."""
    tree: dict = {}
    for i, (gemeente, part, wijk) in enumerate(zip(buurten.gemeente_code, buurten.origin_code, buurten.wijk_code)):
        tree.setdefault(gemeente, {}).setdefault(part, {}).setdefault(wijk, []).append(i)
    return tree


@cache
def base_geometry(seed: int) -> _BaseGeometry:
    """The shapes and names of the base layout's wijken and buurten (cached per seed)."""
    base = build_base_layout(seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, GEOMETRY_STREAM]))
    namer = _Namer(np.random.default_rng(np.random.SeedSequence([seed, NAME_STREAM])))
    codes = list(base.gemeenten.gemeente_code)
    groups = merger_groups(seed)
    gemeente_cells = _gemeente_cells(codes, groups, rng)
    scope = {code: members[0] for members in groups for code in members}
    groups_of = {code: members for members in groups for code in members}
    used_wijk: dict[str, set[str]] = {g[0]: set() for g in groups}
    used_buurt: dict[str, set[str]] = {g[0]: set() for g in groups}
    names_of = dict(zip(base.gemeenten.gemeente_code, base.gemeenten.gemeente_name))
    changes = gemeente_changes()
    names_of |= dict(zip(changes.from_code, changes.from_name))

    buurten = base.buurten
    tree = _hierarchy(buurten)
    leaves = np.empty(len(buurten), dtype=object)
    buurt_names = [""] * len(buurten)
    wijk_names = {}
    inhabitants = buurten.inhabitants.to_numpy()
    for g, code in enumerate(codes):
        parts = tree[code]
        shared = len(parts) > 1 or len(groups_of[code]) > 1  # "Veghel Centrum", not "Centrum II"
        for (part, wijken), part_cell in zip(parts.items(), _tile(gemeente_cells[g], len(parts), rng)):
            wijk_cells = _tile(part_cell, len(wijken), rng)
            names = _wijk_names(wijk_cells, names_of[part], shared, used_wijk[scope[code]], namer)
            for (wijk, rows), wijk_cell, wijk_name in zip(wijken.items(), wijk_cells, names):
                leaves[rows] = _tile(wijk_cell, len(rows), rng)
                wijk_names[wijk] = wijk_name
                for i, name in zip(rows, _buurt_names(wijk_name, inhabitants[rows], used_buurt[scope[code]], namer)):
                    buurt_names[i] = name
    shapes = _snap_coverage(leaves, list(buurten.buurt_code))
    wijk_of = buurten.wijk_code.to_numpy()
    wijk_shapes = {wijk_of[rows[0]]: shapely.coverage_union_all(shapes[rows]) for rows in _groups(wijk_of)}
    return _BaseGeometry(shapes, buurt_names, wijk_shapes, wijk_names)


# -- an edition -----------------------------------------------------------------------------
def _frame(codes, names, shapes) -> pd.DataFrame:
    return pd.DataFrame({"code": list(codes), "name": list(names), "geometry": list(shapes)}).sort_values(
        "code", ignore_index=True)


def edition_boundaries(layout: Layout, seed: int) -> Boundaries:
    """The boundaries of the demo layout of an edition (the base shapes under its codes)."""
    geometry = base_geometry(seed)
    base = build_base_layout(seed).buurten
    buurten = layout.buurten
    wijk_of_base = pd.Series(buurten.wijk_code.to_numpy(), index=base.wijk_code.to_numpy())
    wijk_of_base = wijk_of_base[~wijk_of_base.index.duplicated()]
    wijken = _frame(wijk_of_base.to_numpy(), [geometry.wijk_names[w] for w in wijk_of_base.index],
                    [geometry.wijk_shapes[w] for w in wijk_of_base.index])
    gemeente_of_wijk = buurten.drop_duplicates("wijk_code").set_index("wijk_code")["gemeente_code"]
    shapes = wijken.groupby(wijken.code.map(gemeente_of_wijk))["geometry"].agg(
        lambda s: shapely.coverage_union_all(s.to_numpy()))
    names = layout.gemeenten.set_index("gemeente_code")["gemeente_name"]
    gemeenten = _frame(shapes.index, names[shapes.index], shapes.to_numpy())
    return Boundaries(layout.edition, gemeenten, wijken,
                      _frame(buurten.buurt_code, geometry.buurt_names, geometry.buurt_shapes))


def real_layout_boundaries(layout: Layout, seed: int, codes: list[str]) -> Boundaries:
    """Boundaries on the codes of a real CBS export (`codes`: its gemeente, wijk and buurt codes
    within the demo layout's gemeenten): each gemeente has the seed's shape, cut into the file's
    wijken (the wijk of a buurt is WK + its digits 3-8) and buurten; names invented per gemeente."""
    demo = edition_boundaries(layout, seed).gemeenten.set_index("code")
    structure: dict[str, dict[str, list[str]]] = {}  # gemeente -> wijk -> its buurten
    for code in sorted(set(codes)):
        wijken = structure.setdefault(f"GM{code[2:6]}", {})
        if code.startswith("WK"):
            wijken.setdefault(code, [])
        elif code.startswith("BU"):
            wijken.setdefault(f"WK{code[2:8]}", []).append(code)
    leaves, keys, names = [], [], {}
    for gemeente, by_wijk in structure.items():
        rng = np.random.default_rng(np.random.SeedSequence([seed, REAL_LAYOUT_STREAM, int(gemeente[2:])]))
        namer = _Namer(rng)
        wijken = sorted(by_wijk)
        if not wijken:
            leaves.append(demo.loc[gemeente, "geometry"])
            keys.append((gemeente, None, None))
            continue
        wijk_cells = _tile(demo.loc[gemeente, "geometry"], len(wijken), rng)
        used_wijk, used_buurt = set(), set()
        wijk_names = _wijk_names(wijk_cells, demo.loc[gemeente, "name"], False, used_wijk, namer)
        for wijk, cell, wijk_name in zip(wijken, wijk_cells, wijk_names):
            names[wijk] = wijk_name
            in_wijk = by_wijk[wijk]
            if not in_wijk:
                leaves.append(cell)
                keys.append((gemeente, wijk, None))
                continue
            leaves.extend(_tile(cell, len(in_wijk), rng))
            keys.extend((gemeente, wijk, b) for b in in_wijk)
            names |= dict(zip(in_wijk, _buurt_names(wijk_name, np.full(len(in_wijk), TINY_BUURT + 1), used_buurt,
                                                    namer)))
    shapes = _snap_coverage(np.array(leaves, dtype=object), [b or w or g for g, w, b in keys])
    keyed = pd.DataFrame(keys, columns=["gemeente", "wijk", "buurt"]).assign(geometry=list(shapes))

    def level(column: str, name_of) -> pd.DataFrame:
        rows = keyed.dropna(subset=[column])
        merged = rows.groupby(column)["geometry"].agg(lambda s: shapely.coverage_union_all(s.to_numpy()))
        return _frame(merged.index, [name_of(c) for c in merged.index], merged.to_numpy())

    return Boundaries(layout.edition, level("gemeente", lambda c: demo.loc[c, "name"]),
                      level("wijk", names.get), level("buurt", names.get))


# -- GeoJSON --------------------------------------------------------------------------------
def _rings(polygon) -> list:
    rings = [polygon.exterior, *polygon.interiors]
    return [[[int(round(x)), int(round(y))] for x, y in ring.coords] for ring in rings]


def _geometry(shape) -> dict:
    shape = shapely.orient_polygons(shape)  # exterior rings counter-clockwise (RFC 7946)
    if shape.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": _rings(shape)}
    return {"type": "MultiPolygon", "coordinates": [_rings(p) for p in shape.geoms]}


def geojson_text(frame: pd.DataFrame, level: str, edition: int) -> str:
    """A FeatureCollection as PDOK writes it (one feature per line; `crs` member; properties
    statcode, statnaam, jrstatcode, rubriek; the feature id is the statcode)."""
    features = []
    for row in frame.itertuples(index=False):
        properties = {CODE_PROPERTY: row.code, NAME_PROPERTY: row.name,
                      "jrstatcode": f"{edition}{row.code}", "rubriek": level}
        feature = {"type": "Feature", "geometry": _geometry(row.geometry), "properties": properties, "id": row.code}
        features.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "crs": CRS_MEMBER}, separators=(",", ":"))[:-1]
    return head + ',"features":[\n' + ",\n".join(features) + "\n]}\n"


def boundary_paths(edition_dir: Path) -> dict[str, Path]:
    return {level: Path(edition_dir) / BOUNDARIES_DIR / name for level, name in GEOJSON_FILES.items()}


def write_boundaries(boundaries: Boundaries, edition_dir: Path) -> dict[str, Path]:
    """Write the three files into `<edition_dir>/boundaries/`; returns their paths by level."""
    paths = boundary_paths(edition_dir)
    paths["gemeente"].parent.mkdir(parents=True, exist_ok=True)
    for level, frame in boundaries.levels().items():
        paths[level].write_text(geojson_text(frame, level, boundaries.edition), encoding="utf-8")
    return paths
