#!/usr/bin/env python3
"""Synthetic sites over Jiangsu for benchmarks: a GeoJSON FeatureCollection written feature by
feature (constant memory), deterministic for a given seed. Properties follow docs/site-kinds.md;
every feature is marked placeholder. Standard library only."""

import argparse
import json
import math
import random
import sys

JIANGSU = (116.3, 30.7, 121.9, 35.1)
M_PER_DEG_LAT = 110_574.0


def metres_to_degrees(dx, dy, lat):
    return dx / (111_320.0 * math.cos(math.radians(lat))), dy / M_PER_DEG_LAT


def polygon(rng, lon, lat):
    """A star-shaped polygon 50-400 m across. Evenly spaced, jittered angles keep the vertices
    well apart, so the ring stays simple after rounding to 6 decimals."""
    n = rng.randint(5, 12)
    radius = rng.uniform(25, 200)
    step = 2 * math.pi / n
    angles = [i * step + rng.uniform(-0.3, 0.3) * step for i in range(n)]
    ring = []
    for a in angles:
        r = radius * rng.uniform(0.75, 1.0)
        dlon, dlat = metres_to_degrees(r * math.cos(a), r * math.sin(a), lat)
        ring.append([round(lon + dlon, 6), round(lat + dlat, 6)])
    ring.append(ring[0])
    # rounding can collapse neighbours; drop repeats so the ring stays valid
    cleaned = [ring[0]] + [p for prev, p in zip(ring, ring[1:]) if p != prev]
    if len(cleaned) < 4:
        return polygon(rng, lon, lat)
    return {"type": "Polygon", "coordinates": [cleaned]}


def line(rng, lon, lat, length_m, vertices):
    heading = rng.uniform(0, 2 * math.pi)
    step = length_m / (vertices - 1)
    coords = [[round(lon, 6), round(lat, 6)]]
    for _ in range(vertices - 1):
        heading += rng.uniform(-0.5, 0.5)
        dlon, dlat = metres_to_degrees(step * math.cos(heading), step * math.sin(heading), lat)
        lon, lat = lon + dlon, lat + dlat
        point = [round(lon, 6), round(lat, 6)]
        if point != coords[-1]:
            coords.append(point)
    return {"type": "LineString", "coordinates": coords}


PLOT_STAGES = ["suspected", "survey", "risk_assessment", "listed", "risk_control", "remediation", "effect_assessment", "delisted"]


def feature(rng, kind, index, prefix, bbox):
    lon = rng.uniform(bbox[0], bbox[2])
    lat = rng.uniform(bbox[1], bbox[3])
    props = {"code": f"{prefix}{index:07d}", "name": f"合成{kind} {index:07d}", "placeholder": True}
    if kind == "contaminated_plot":
        geometry = polygon(rng, lon, lat)
        props.update(plot_stage=rng.choice(PLOT_STAGES), land_use_class=rng.choice([1, 2]),
                     control_mode=rng.choice(["institutional", "engineering"]))
    elif kind == "river":
        geometry = line(rng, lon, lat, rng.uniform(1000, 8000), rng.randint(10, 40))
        props["river_class"] = rng.choice(["main", "tributary"])
    elif kind == "black_odor_water":
        geometry = line(rng, lon, lat, rng.uniform(100, 800), rng.randint(3, 8))
        props["category"] = rng.choice(["tributary", "backyard"])
    else:
        geometry = {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
        props.update({
            "enterprise": {"sectors": ["other"]},
            "facility": {"facility_type": "other"},
            "outfall": {"outfall_type": "other"},
            "monitoring_section": {"level": "district"},
            "key_zone": {"zone_type": "other"},
        }[kind])
    return {"type": "Feature", "properties": props, "geometry": geometry}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", default="contaminated_plot",
                        choices=["contaminated_plot", "river", "black_odor_water", "enterprise", "facility", "outfall", "monitoring_section", "key_zone"])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="first index (codes are prefix + index)")
    parser.add_argument("--bbox", default=",".join(map(str, JIANGSU)))
    parser.add_argument("--code-prefix", default="GEN-")
    parser.add_argument("--out", help="output file (default: standard output)")
    args = parser.parse_args()
    bbox = [float(v) for v in args.bbox.split(",")]
    rng = random.Random(args.seed)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    out.write('{"type":"FeatureCollection","features":[\n')
    for i in range(args.start, args.start + args.count):
        if i > args.start:
            out.write(",\n")
        out.write(json.dumps(feature(rng, args.kind, i, args.code_prefix, bbox), ensure_ascii=False, separators=(",", ":")))
    out.write("\n]}\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
