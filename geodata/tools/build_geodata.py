#!/usr/bin/env python3
"""Builds the Zhonglou sample data set in geodata/ (GeoJSON, WGS84) from the public district
boundary in ../shared/reference and the facts of the bureau's 2025 mid-year report.

Deterministic: a fixed random seed, coordinates rounded to 6 decimals; running it twice writes
the same bytes. PostGIS does the geometry work (simplifying the district, splitting it into
towns, clipping rivers, computing each site's town), through psql:

    python3 geodata/tools/build_geodata.py [--reference DIR] [--db URL]

--db must name a database with PostGIS (default: the test database of the set-up scripts).
Everything placed here is illustrative, not survey data; see geodata/README.md.
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEODATA = os.path.dirname(HERE)
ROOT = os.path.dirname(GEODATA)

# The 8 streets/towns with approximate centres (DOMAIN.md §2).
TOWNS = [
    ("320404001", "五星街道", "Wuxing Subdistrict", 119.925, 31.805),
    ("320404002", "永红街道", "Yonghong Subdistrict", 119.930, 31.790),
    ("320404003", "北港街道", "Beigang Subdistrict", 119.905, 31.785),
    ("320404004", "西林街道", "Xilin Subdistrict", 119.915, 31.760),
    ("320404005", "南大街街道", "Nandajie Subdistrict", 119.950, 31.777),
    ("320404006", "荷花池街道", "Hehuachi Subdistrict", 119.935, 31.772),
    ("320404007", "新闸街道", "Xinzha Subdistrict", 119.885, 31.815),
    ("320404116", "邹区镇", "Zouqu Town", 119.800, 31.780),
]
ZOUQU, XINZHA, BEIGANG, XILIN = "320404116", "320404007", "320404003", "320404004"
INDUSTRIAL = [ZOUQU] * 5 + [XINZHA] * 2 + [BEIGANG, XILIN]


def psql(db, sql, stdin=None):
    out = subprocess.run(["psql", db, "-v", "ON_ERROR_STOP=1", "-qAtX", "-c", sql],
                         input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"psql failed: {out.stderr}")
    return out.stdout.strip()


def r6(x):
    return round(x, 6)


def round_coords(value):
    if isinstance(value, list):
        if value and isinstance(value[0], (int, float)):
            return [r6(value[0]), r6(value[1])]
        return [round_coords(v) for v in value]
    return value


def point_in_ring(x, y, ring):
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def point_in_multipolygon(x, y, geom):
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    for poly in polys:
        if point_in_ring(x, y, poly[0]) and not any(point_in_ring(x, y, hole) for hole in poly[1:]):
            return True
    return False


class Builder:
    def __init__(self, db, reference):
        self.db = db
        self.rng = random.Random(20250630)
        self.reference = reference
        self.sites = {k: [] for k in ["river", "black_odor_water", "contaminated_plot", "key_zone",
                                      "monitoring_section", "outfall", "enterprise", "facility"]}
        self.programmes = []
        self.projects = []

    # ---------------------------------------------------------------- admin areas
    def admin_areas(self):
        with open(os.path.join(self.reference, "zhonglou-district-320404.wgs84.geojson"), encoding="utf-8") as f:
            district = json.load(f)["features"][0]["geometry"]
        points = ",".join(f"ST_MakePoint({t[3]}, {t[4]})" for t in TOWNS)
        sql = f"""
        WITH d AS (SELECT ST_MakeValid(ST_SimplifyPreserveTopology(ST_SetSRID(ST_GeomFromGeoJSON('{json.dumps(district)}'), 4326), 0.0005)) AS g),
             c AS (SELECT ST_SetSRID(ST_Collect(ARRAY[{points}]), 4326) AS g),
             v AS (SELECT (ST_Dump(ST_VoronoiPolygons(c.g, 0, ST_Expand(d.g, 0.1)))).geom AS cell FROM c, d)
        SELECT json_build_object('district', ST_AsGeoJSON(ST_Multi(d.g), 6)::json,
                                 'cells', json_agg(json_build_object('cell', ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(v.cell, d.g)), 3)), 6)::json,
                                                                     'wkt', ST_AsText(v.cell))))
        FROM v, d GROUP BY d.g"""
        result = json.loads(psql(self.db, sql))
        self.district = result["district"]
        self.town_geoms = {}
        for code, name, name_en, lon, lat in TOWNS:
            cell = next(c["cell"] for c in result["cells"] if point_in_multipolygon(lon, lat, c["cell"]))
            self.town_geoms[code] = cell
        features = [{"type": "Feature", "properties": {
            "code": "320404", "name": "钟楼区", "name_en": "Zhonglou District", "level": "district",
            "parent_code": None, "approximate": False,
            "source": "DataV public boundary (GCJ-02 converted to WGS84), simplified to ~50 m"},
            "geometry": self.district}]
        for code, name, name_en, lon, lat in TOWNS:
            features.append({"type": "Feature", "properties": {
                "code": code, "name": name, "name_en": name_en, "level": "town", "parent_code": "320404",
                "approximate": True,
                "source": "illustrative: district split by Voronoi cells of approximate town centres"},
                "geometry": self.town_geoms[code]})
        return features

    def random_point_in(self, town, margin=0.002):
        geom = self.town_geoms[town]
        polys = geom["coordinates"]
        xs = [p[0] for poly in polys for p in poly[0]]
        ys = [p[1] for poly in polys for p in poly[0]]
        for _ in range(10000):
            x = self.rng.uniform(min(xs), max(xs))
            y = self.rng.uniform(min(ys), max(ys))
            if all(point_in_multipolygon(x + dx, y + dy, geom) for dx, dy in
                   [(0, 0), (margin, 0), (-margin, 0), (0, margin), (0, -margin)]):
                return x, y
        raise RuntimeError(f"no room in town {town}")

    def line_in(self, town, length_m, vertices=4):
        """A short wandering line that stays inside one town."""
        for _ in range(1000):
            x, y = self.random_point_in(town)
            line = self.short_line(x, y, length_m, vertices)
            if all(point_in_multipolygon(px, py, self.town_geoms[town]) for px, py in line["coordinates"]):
                return line
        raise RuntimeError(f"no room for a {length_m} m line in town {town}")

    def short_line(self, x, y, length_m, vertices=4):
        heading = self.rng.uniform(0, 2 * math.pi)
        step = length_m / (vertices - 1)
        coords = [[x, y]]
        for _ in range(vertices - 1):
            heading += self.rng.uniform(-0.4, 0.4)
            x += step * math.cos(heading) / (111320 * math.cos(math.radians(y)))
            y += step * math.sin(heading) / 110574
            coords.append([x, y])
        return {"type": "LineString", "coordinates": round_coords(coords)}

    def small_polygon(self, x, y, radius_m, n=7):
        step = 2 * math.pi / n
        ring = []
        for i in range(n):
            a = i * step + self.rng.uniform(-0.25, 0.25) * step
            r = radius_m * self.rng.uniform(0.8, 1.0)
            ring.append([r6(x + r * math.cos(a) / (111320 * math.cos(math.radians(y)))), r6(y + r * math.sin(a) / 110574)])
        ring.append(ring[0])
        return {"type": "Polygon", "coordinates": [ring]}

    def add(self, kind, props, geometry):
        self.sites[kind].append({"type": "Feature", "properties": props, "geometry": geometry})

    # ---------------------------------------------------------------- sites
    def rivers(self):
        main = [
            ("RV-XYH", "新运河", "New Grand Canal", [[119.878, 31.851], [119.884, 31.822], [119.893, 31.795], [119.903, 31.768], [119.918, 31.745]], 8.2, "III"),
            ("RV-LYH", "老运河", "Old Grand Canal", [[119.897, 31.783], [119.915, 31.781], [119.935, 31.779], [119.956, 31.776]], 5.6, "IV"),
            ("RV-TZH", "童子河", "Tongzi River", [[119.866, 31.834], [119.865, 31.805], [119.869, 31.778], [119.874, 31.750]], 9.8, "IV"),
            ("RV-HXH", "鹤溪河", "Hexi River", [[119.884, 31.789], [119.895, 31.790], [119.908, 31.789]], 2.6, "IV"),
            ("RV-NYH", "南运河", "South Canal", [[119.897, 31.761], [119.920, 31.758], [119.945, 31.756]], 4.7, "IV"),
            ("RV-DSH", "德胜河", "Desheng River", [[119.870, 31.851], [119.876, 31.844], [119.880, 31.838]], 1.5, "III"),
        ]
        for code, name, name_en, coords, km, target in main:
            self.add("river", {"code": code, "name": name, "name_en": name_en, "placeholder": False,
                               "river_class": "main", "length_km": km, "water_target": target}, {"type": "LineString", "coordinates": coords})
        # the 9 key tributaries with 一河一策 plans: 5 named in the report as started, 4 unnamed
        named = [
            ("RV-CJB", "崔家浜", "Cuijia Creek", [[119.880, 31.818], [119.889, 31.816], [119.896, 31.819]], True),
            ("RV-AJB", "安基浜", "Anji Creek", [[119.835, 31.800], [119.846, 31.803], [119.856, 31.802]], True),
            ("RV-QJB", "钱家浜", "Qianjia Creek", [[119.786, 31.768], [119.795, 31.772], [119.804, 31.771]], True),
            ("RV-LXDG", "立新大沟", "Lixin Ditch", [[119.768, 31.790], [119.777, 31.795], [119.786, 31.800]], True),
            ("RV-HGH", "黄沟河", "Huanggou River", [[119.757, 31.760], [119.767, 31.765], [119.776, 31.768]], True),
            ("RV-MLH", "毛龙河", "Maolong River", [[119.748, 31.803], [119.763, 31.808], [119.780, 31.811]], False),
        ]
        for code, name, name_en, coords, policy in named:
            props = {"code": code, "name": name, "name_en": name_en, "placeholder": False, "river_class": "tributary", "water_class": "V"}
            if policy:
                props["one_river_one_policy"] = True
            self.add("river", props, {"type": "LineString", "coordinates": coords})
        for i in range(1, 5):
            town = [ZOUQU, XINZHA, ZOUQU, BEIGANG][i - 1]
            self.add("river", {"code": f"RV-KT{i:02d}", "name": f"重点支浜（示意）#{i}", "placeholder": True,
                               "river_class": "tributary", "one_river_one_policy": True, "water_class": "worse_than_V"},
                     self.line_in(town, self.rng.uniform(800, 2500)))
        # the report monitors 82 main and branch rivers: the rest are placeholders
        towns = [t[0] for t in TOWNS]
        for i in range(1, 82 - 16 + 1):
            town = ZOUQU if i % 2 else towns[i % len(towns)]
            self.add("river", {"code": f"RV-P{i:03d}", "name": f"支浜（示意）#{i:02d}", "placeholder": True,
                               "river_class": "tributary"}, self.line_in(town, self.rng.uniform(300, 3000)))

    def black_odor(self):
        for i in range(1, 7):
            town = [ZOUQU, XINZHA, ZOUQU, BEIGANG, XILIN, ZOUQU][i - 1]
            self.add("black_odor_water", {"code": f"BO-T{i:02d}", "name": f"支流支浜黑臭水体（示意）#{i}", "placeholder": True,
                                          "category": "tributary", "severity": "light"}, self.line_in(town, self.rng.uniform(400, 800)))
        self.add("black_odor_water", {"code": "BO-DZCZH", "name": "大周村中河", "name_en": "Dazhou Village Middle Creek", "placeholder": False,
                                      "category": "backyard", "village": "大周村", "length_m": 260},
                 {"type": "LineString", "coordinates": [[119.874, 31.826], [119.876, 31.8265], [119.8765, 31.8275]]})
        self.add("black_odor_water", {"code": "BO-DZCNDG", "name": "戴庄村南大沟", "name_en": "Daizhuang Village South Ditch", "placeholder": False,
                                      "category": "backyard", "village": "戴庄村", "length_m": 420},
                 {"type": "LineString", "coordinates": [[119.812, 31.772], [119.8155, 31.7715], [119.8165, 31.7735]]})
        for i in range(1, 11):
            town = [ZOUQU, XINZHA][i % 2]
            if i % 3:
                geometry = self.line_in(town, self.rng.uniform(100, 500), 3)
            else:
                geometry = self.small_polygon(*self.random_point_in(town), 25)
            self.add("black_odor_water", {"code": f"BO-B{i:02d}", "name": f"房前屋后小微黑臭水体（示意）#{i}", "placeholder": True,
                                          "category": "backyard", "severity": "light"}, geometry)

    def plots(self):
        for i in range(1, 6):
            town = [XINZHA, BEIGANG, ZOUQU, XILIN, XINZHA][i - 1]
            x, y = self.random_point_in(town, 0.004)
            self.add("contaminated_plot", {"code": f"CP-PR{i:02d}", "name": f"优先监管地块（示意）#{i}", "placeholder": True,
                                           "plot_stage": "risk_control", "land_use_class": 2, "priority_list": True,
                                           "pollutants": [["benzene", "chlorobenzene"], ["trichloroethylene"], ["benzene", "toluene"], ["1,2-dichloroethane"], ["tetrachloroethylene", "vinyl chloride"]][i - 1],
                                           "control_mode": "engineering" if i % 2 else "institutional"},
                     self.small_polygon(x, y, self.rng.uniform(60, 160)))
        for i in range(1, 6):
            town = [ZOUQU, XILIN, BEIGANG, ZOUQU, XINZHA][i - 1]
            x, y = self.random_point_in(town, 0.004)
            self.add("contaminated_plot", {"code": f"CP-L{i:02d}", "name": f"遗留污染地块（示意）#{i}", "placeholder": True,
                                           "plot_stage": "risk_control", "land_use_class": 2, "pollutants": [["As", "Pb"], ["Cd"], ["petroleum hydrocarbons"], ["Pb", "Zn"], ["Cr(VI)"]][i - 1],
                                           "control_mode": "institutional"}, self.small_polygon(x, y, self.rng.uniform(60, 160)))

    def zones(self):
        for i, (name, x, y) in enumerate([("市区空气质量监测站", 119.922, 31.781), ("邹区空气质量监测点", 119.800, 31.781), ("新闸空气质量监测点", 119.884, 31.818)], 1):
            self.add("key_zone", {"code": f"KZ-{i:02d}", "name": f"重点区域（示意）#{i} {name}周边3公里", "placeholder": True,
                                  "zone_type": "air_station", "radius_m": 3000}, {"type": "Point", "coordinates": [x, y]})

    def sections(self):
        rivers = self.sites["river"]
        levels = ["provincial"] * 2 + ["city"] * 10 + ["district"] * 116
        for i in range(128):
            river = rivers[i % 16] if i < 48 else rivers[16 + (i % 66)]
            coords = river["geometry"]["coordinates"]
            seg = self.rng.randrange(len(coords) - 1)
            t = self.rng.uniform(0.1, 0.9)
            x = coords[seg][0] + t * (coords[seg + 1][0] - coords[seg][0])
            y = coords[seg][1] + t * (coords[seg + 1][1] - coords[seg][1])
            level = levels[i] if i >= 12 else ("provincial" if i < 2 else "city")
            rp = river["properties"]
            named = i < 12
            name = (f"{rp['name']}{['省考', '市控'][i >= 2]}断面" if named else f"监测断面（示意）#{i + 1:03d}")
            self.add("monitoring_section", {"code": f"MS-{i + 1:03d}", "name": name, "placeholder": not named,
                                            "level": level, "river_code": rp["code"], "water_target": "IV"},
                     {"type": "Point", "coordinates": [r6(x), r6(y)]})

    def outfalls(self):
        self.add("outfall", {"code": "OF-XZPK", "name": "新闸排口", "name_en": "Xinzha outfall", "placeholder": False,
                             "outfall_type": "other", "receiving_water": "崔家浜", "stage": "trace"},
                 {"type": "Point", "coordinates": [119.889, 31.816]})
        for i in range(1, 4):
            x, y = self.random_point_in(ZOUQU)
            self.add("outfall", {"code": f"OF-AQ{i}", "name": f"规模养殖尾水排口（示意）#{i}", "placeholder": True,
                                 "outfall_type": "agricultural", "stage": "monitor"}, {"type": "Point", "coordinates": [r6(x), r6(y)]})
        rivers = self.sites["river"][:16]
        for i in range(1, 11):
            river = rivers[(i * 3) % 16]
            x, y = river["geometry"]["coordinates"][1]
            self.add("outfall", {"code": f"OF-P{i:02d}", "name": f"入河排污口（示意）#{i:02d}", "placeholder": True,
                                 "outfall_type": ["industrial", "wwtp", "other"][i % 3], "receiving_water": river["properties"]["name"],
                                 "stage": ["investigate", "monitor", "trace", "treat"][i % 4]},
                     {"type": "Point", "coordinates": [r6(x + 0.0004), r6(y + 0.0003)]})

    def enterprises(self):
        def point(town, cluster=None):
            if cluster:
                cx, cy = cluster
                return [r6(cx + self.rng.gauss(0, 0.006)), r6(cy + self.rng.gauss(0, 0.004))]
            x, y = self.random_point_in(town)
            return [r6(x), r6(y)]
        for i in range(1, 84):
            self.add("enterprise", {"code": f"EN-LT{i:03d}", "name": f"灯具集群企业（示意）#{i:03d}", "placeholder": True, "sectors": ["lighting"]},
                     {"type": "Point", "coordinates": point(ZOUQU, (119.795, 31.782))})
        for i in range(1, 12):
            self.add("enterprise", {"code": f"EN-PP{i:02d}", "name": f"酸洗磷化企业（示意）#{i:02d}", "placeholder": True, "sectors": ["pickling_phosphating"]},
                     {"type": "Point", "coordinates": point(INDUSTRIAL[i % len(INDUSTRIAL)])})
        for i in range(1, 124):
            self.add("enterprise", {"code": f"EN-RS{i:03d}", "name": f"雨污分流问题企业（示意）#{i:03d}", "placeholder": True, "sectors": ["rain_sewage"]},
                     {"type": "Point", "coordinates": point(INDUSTRIAL[i % len(INDUSTRIAL)])})
        for i in range(1, 7):
            self.add("enterprise", {"code": f"EN-HW{i}", "name": f"危险废物经营单位（示意）#{i}", "placeholder": True, "sectors": ["hazardous_waste"]},
                     {"type": "Point", "coordinates": point([ZOUQU, XINZHA, XILIN][i % 3])})
        self.add("enterprise", {"code": "EN-GLFZ", "name": "国礼纺织", "name_en": "Guoli Textile", "placeholder": False, "sectors": ["textile"]},
                 {"type": "Point", "coordinates": [119.812, 31.789]})
        self.add("enterprise", {"code": "EN-JJMT", "name": "金建码头", "name_en": "Jinjian Wharf", "placeholder": False, "sectors": ["wharf"]},
                 {"type": "Point", "coordinates": [119.8855, 31.7905]})

    def facilities(self):
        for i in range(1, 10):
            props = {"code": f"FA-LP{i}", "name": f"物流园（示意）#{i}", "placeholder": True, "facility_type": "logistics_park"}
            if i == 1:
                props["capacity"] = "580 台非道路移动机械（全区 9 个物流园合计）"
            x, y = self.random_point_in(INDUSTRIAL[i % len(INDUSTRIAL)], 0.004)
            self.add("facility", props, self.small_polygon(x, y, 150))
        for i in range(1, 4):
            x, y = self.random_point_in([XINZHA, XILIN, ZOUQU][i - 1])
            self.add("facility", {"code": f"FA-ED{i}", "name": f"应急物资库（示意）#{i}", "placeholder": True, "facility_type": "emergency_depot"},
                     {"type": "Point", "coordinates": [r6(x), r6(y)]})
        self.add("facility", {"code": "FA-HY", "name": "荷园生物多样性观测站", "name_en": "Heyuan biodiversity observation station", "placeholder": False,
                              "facility_type": "observation_station"}, {"type": "Point", "coordinates": [119.917, 31.771]})
        self.add("facility", {"code": "FA-WXSX", "name": "五星实验小学", "name_en": "Wuxing Experimental Primary School", "placeholder": False,
                              "facility_type": "school"}, {"type": "Point", "coordinates": [119.924, 31.806]})
        self.add("facility", {"code": "FA-LJT", "name": "凌家塘市场片区", "name_en": "Lingjiatang market area", "placeholder": False,
                              "facility_type": "other"}, self.small_polygon(119.904, 31.777, 220))

    # ---------------------------------------------------------------- towns of sites, by PostGIS
    def assign_towns(self):
        """Each site's town is the town containing its point on surface: the import's own rule."""
        lines = []
        for kind, features in self.sites.items():
            for f in features:
                lines.append(json.dumps({"code": f["properties"]["code"], "g": f["geometry"]}, ensure_ascii=False))
        towns = json.dumps([{"code": c, "g": g} for c, g in self.town_geoms.items()])
        sql = f"""
        CREATE TEMP TABLE s (j jsonb);
        COPY s FROM STDIN;
        SELECT json_object_agg(j->>'code', (SELECT t->>'code' FROM jsonb_array_elements('{towns}'::jsonb) t
               WHERE ST_Intersects(ST_SetSRID(ST_GeomFromGeoJSON(t->'g'), 4326), ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(j->'g'), 4326)))
               ORDER BY t->>'code' LIMIT 1)) FROM s;
        """
        stdin = "\n".join(line.replace("\\", "\\\\") for line in lines) + "\n\\.\n"
        out = subprocess.run(["psql", self.db, "-v", "ON_ERROR_STOP=1", "-qAtX"], input=sql.replace("COPY s FROM STDIN;", "COPY s FROM STDIN;\n" + stdin),
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"psql failed: {out.stderr}")
        self.site_town = json.loads(out.stdout.strip().splitlines()[-1])
        missing = [c for c, t in self.site_town.items() if t is None]
        if missing:
            sys.exit(f"sites outside every town: {missing}")
        for features in self.sites.values():
            for f in features:
                props = f["properties"]
                ordered = {"code": props["code"], "name": props["name"]}
                if "name_en" in props:
                    ordered["name_en"] = props["name_en"]
                ordered["town_code"] = self.site_town[props["code"]]
                ordered.update({k: v for k, v in props.items() if k not in ordered})
                f["properties"] = ordered

    # ---------------------------------------------------------------- programmes and projects
    def programme(self, code, name, name_en, category, target_count, description, start_rate=None, deadline=None):
        self.programmes.append({"code": code, "name": name, "name_en": name_en, "year": 2025 if "2025" in code else None,
                                "category": category, "target_count": target_count, "target_start_rate": start_rate,
                                "target_completion_rate": None, "deadline": deadline, "description": description})

    def project(self, code, name, category, programme, status, history, sites, stage=None, progress=0, unit=None,
                reason=None, placeholder=True, attrs=None, name_en=None, description=None, funding=None,
                planned=("2025-01-01", "2025-12-31"), actual_start=None, actual_end=None, town=None):
        # the responsible town is the first site's, unless the report names another
        town = town or (self.site_town[sites[0]] if sites else None)
        self.projects.append({
            "code": code, "name": name, "name_en": name_en, "category": category, "programme": programme,
            "status": status, "stage": stage, "status_reason": reason, "progress": progress,
            "responsible_unit": unit or (dict((t[0], t[1]) for t in TOWNS)[town] + ("人民政府" if town == ZOUQU else "办事处") if town else "钟楼生态环境局"),
            "town_code": town, "funding_source": funding, "funding_amount": None,
            "planned_start": planned[0], "planned_end": planned[1], "actual_start": actual_start, "actual_end": actual_end,
            "description": description, "placeholder": placeholder, "attrs": attrs or {}, "sites": sites,
            "history": [{"at": at, "status": s, "note": note} for at, s, note in history],
        })

    def programmes_and_projects(self):
        self.programme("LIGHTING-2025", "邹区灯具集群整治", "Zouqu lighting cluster remediation", "air", 83,
                       "邹区灯具集群83家整治企业全部整治“清零”，已完成绩效评估。")
        self.programme("PICKLING-2025", "酸洗磷化行业整治“回头看”", "Pickling and phosphating re-check", "water", 11,
                       "酸洗磷化行业整治“回头看”企业11家，已完成所有企业现场核查并下发问题及整改要求。")
        self.programme("RAINSEWAGE-2025", "2025年度太湖攻坚问题工业企业雨污分流改造", "Rain-sewage separation of problem firms (Taihu 2025)", "water", 123,
                       "列入年度太湖攻坚任务的123家问题工业企业雨污分流改造，已有48家开展雨污管网排查及整改方案编制。")
        self.programme("BLACKODOR-2025", "黑臭水体整治清单", "Black-odor water bodies list", "water", 18,
                       "市太湖综合治理攻坚专班交办18条黑臭水体：6条支流支浜，12条“房前屋后”小微黑臭水体。")
        self.programme("ONERIVER-2025", "重点支流支浜“一河一策”整治", "Key tributaries, one plan per river", "water", 9,
                       "9条河道均完成“一河一策”整治方案编制并提交市太湖攻坚专班审查；崔家浜、安基浜、钱家浜、立新大沟、黄沟河整治工程已开工。")
        self.programme("TAIHU-2025", "2025年度太湖治理攻坚重点项目", "Taihu key projects 2025", "water", 33,
                       "2025年度太湖治理攻坚33个重点项目，其中6个纳入省2025年度太湖治理重点项目清单；上半年项目开工率目标70%以上。",
                       start_rate=0.70, deadline="2025-06-30")
        self.programme("PACKAGED", "水环境打包治理项目（待资金）", "Packaged water projects awaiting funding", "water", 5,
                       "超长期国债项目暂无法启动、专项债申报暂停；审批程序照常进行，一旦新政策放开即全力推进申报。")

        for i in range(1, 84):
            self.project(f"LT-{i:03d}", f"灯具集群企业（示意）#{i:03d}整治", "air", "LIGHTING-2025", "accepted",
                         [("2025-01-06", "planned", "列入邹区灯具集群整治清单"), ("2025-01-20", "in_progress", "开始整治"),
                          ("2025-03-28", "completed", "整治完成"), ("2025-05-30", "accepted", "完成绩效评估，清零")],
                         [f"EN-LT{i:03d}"], stage="performance_assessed", progress=100, actual_start="2025-01-20", actual_end="2025-03-28")
        for i in range(1, 12):
            self.project(f"PP-{i:02d}", f"酸洗磷化企业（示意）#{i:02d}“回头看”", "water", "PICKLING-2025", "in_progress",
                         [("2025-02-10", "planned", "列入回头看名单"), ("2025-04-15", "in_progress", "完成现场核查，问题及整改要求已下发")],
                         [f"EN-PP{i:02d}"], stage="checked_problems_issued", progress=50, actual_start="2025-04-15")
        for i in range(1, 124):
            started = i <= 48
            history = [("2025-02-20", "planned", "列入2025年度太湖攻坚雨污分流改造任务")]
            if started:
                history.append(("2025-05-15", "in_progress", "开展雨污管网排查及整改方案编制"))
            self.project(f"RS-{i:03d}", f"雨污分流问题企业（示意）#{i:03d}改造", "water", "RAINSEWAGE-2025",
                         "in_progress" if started else "planned", history, [f"EN-RS{i:03d}"],
                         stage="survey_and_plan" if started else None, progress=20 if started else 0,
                         actual_start="2025-05-15" if started else None)
        # the 18 black-odor bodies, one project each
        for i in range(1, 7):
            self.project(f"BO-T{i:02d}-ZZ", f"支流支浜黑臭水体（示意）#{i}整治", "water", "BLACKODOR-2025", "preparing",
                         [("2025-03-01", "planned", "市攻坚专班交办"), ("2025-04-10", "preparing", "编制整治方案")],
                         [f"BO-T{i:02d}"], stage="plan", progress=10)
        self.project("BO-DZCZH-ZZ", "新闸大周村中河整治", "water", "BLACKODOR-2025", "completed",
                     [("2025-03-01", "planned", "市攻坚专班交办"), ("2025-04-01", "in_progress", "开始整治"), ("2025-06-10", "completed", "已填埋")],
                     ["BO-DZCZH"], stage="filled", progress=100, placeholder=False, unit="新闸街道办事处",
                     name_en="Dazhou Village Middle Creek remediation", actual_start="2025-04-01", actual_end="2025-06-10")
        self.project("BO-DZCNDG-ZZ", "戴庄村南大沟整治", "water", "BLACKODOR-2025", "in_progress",
                     [("2025-03-01", "planned", "市攻坚专班交办"), ("2025-05-06", "in_progress", "实施清淤及岸坡整治")],
                     ["BO-DZCNDG"], stage="dredging", progress=40, placeholder=False,
                     name_en="Daizhuang Village South Ditch remediation", actual_start="2025-05-06")
        for i in range(1, 11):
            self.project(f"BO-B{i:02d}-ZZ", f"房前屋后小微黑臭水体（示意）#{i}整治", "water", "BLACKODOR-2025", "in_progress",
                         [("2025-03-01", "planned", "市攻坚专班交办"), ("2025-04-20", "in_progress", "完成河面漂浮物打捞")],
                         [f"BO-B{i:02d}"], stage="debris_removed", progress=15, actual_start="2025-04-20")
        # 9 tributaries with one-river-one-policy plans
        started = [("RV-CJB", "新闸崔家浜"), ("RV-AJB", "邹区安基浜"), ("RV-QJB", "邹区钱家浜"), ("RV-LXDG", "邹区立新大沟"), ("RV-HGH", "邹区黄沟河")]
        for i, (site, name) in enumerate(started, 1):
            self.project(f"OR-{i:02d}", f"{name}整治工程", "water", "ONERIVER-2025", "in_progress",
                         [("2025-01-15", "planned", "列入重点支浜整治"), ("2025-03-20", "preparing", "一河一策方案提交市太湖攻坚专班审查"),
                          ("2025-05-20", "in_progress", "整治工程已开工")], [site], stage="works_started", progress=30,
                         placeholder=False, actual_start="2025-05-20", town=ZOUQU if name.startswith("邹区") else None)
        for i in range(1, 5):
            self.project(f"OR-{i + 5:02d}", f"重点支浜（示意）#{i}整治", "water", "ONERIVER-2025", "preparing",
                         [("2025-01-15", "planned", "列入重点支浜整治"), ("2025-03-20", "preparing", "一河一策方案提交市太湖攻坚专班审查")],
                         [f"RV-KT{i:02d}"], stage="plan_submitted", progress=10)
        # Taihu 2025: 33 projects, 6 on the provincial list; 24 started by 2025-06-30 (illustrative)
        taihu = [("TH2025-01", "邹区镇城镇污水收集处理综合改造提升一期项目", "Zouqu town sewage collection and treatment upgrade, phase 1", ["OF-AQ1"], True, False),
                 ("TH2025-02", "毛龙河清水工程", "Maolong River clean-water works", ["RV-MLH"], True, False),
                 ("TH2025-03", "凌家塘综合整治工程", "Lingjiatang comprehensive remediation", ["FA-LJT"], False, False)]
        for i in range(4, 34):
            taihu.append((f"TH2025-{i:02d}", f"太湖治理攻坚重点项目（示意）#{i:02d}", None, [f"RV-P{i * 2:03d}"], i <= 7, True))
        for n, (code, name, name_en, sites, provincial, placeholder) in enumerate(taihu, 1):
            is_started = n <= 24
            history = [("2025-01-10", "planned", "列入2025年度太湖治理攻坚重点项目清单"), ("2025-02-25", "preparing", "可研、初设及环评审批等前期手续办理")]
            if is_started:
                history.append(("2025-04-28" if n % 2 else "2025-06-12", "in_progress", "开工"))
            attrs = {"provincial_list": True} if provincial else {}
            self.project(code, name, "water", "TAIHU-2025", "in_progress" if is_started else "preparing", history, sites,
                         stage="construction" if is_started else "approvals", progress=25 if is_started else 5,
                         placeholder=placeholder, attrs=attrs, name_en=name_en,
                         funding="太湖流域水环境综合治理省级专项资金" if provincial else None,
                         actual_start=history[-1][0] if is_started else None)
        packaged = [("PK-01", "邹区镇生活污水过河通道工程", "Zouqu domestic sewage river-crossing works", "RV-AJB"),
                    ("PK-02", "邹区农村人居环境整治", "Zouqu rural living-environment improvement", "RV-QJB"),
                    ("PK-03", "大运河钟楼经济开发区流域水环境治理工程", "Grand Canal Zhonglou EDZ basin water works", "RV-XYH"),
                    ("PK-04", "太湖流域滆湖北老运河水环境整治", "Old canal north of Gehu Lake water remediation", "RV-LYH"),
                    ("PK-05", "老运河城区段水环境综合整治工程", "Old Grand Canal city section water remediation", "RV-LYH")]
        for code, name, name_en, site in packaged:
            self.project(code, name, "water", "PACKAGED", "suspended",
                         [("2025-01-08", "planned", "打包治理项目申报"), ("2025-03-15", "preparing", "审批程序照常进行"),
                          ("2025-04-30", "suspended", "超长期国债项目暂无法启动、专项债申报暂停")], [site],
                         reason="超长期国债项目暂无法启动、专项债申报暂停，审批程序照常进行，待政策放开后申报",
                         placeholder=False, name_en=name_en, funding="超长期特别国债 / 地方政府专项债（待定）")
        for code, name, name_en, site, category in [
            ("ZG-GLFZ", "国礼纺织问题整改", "Guoli Textile rectification", "EN-GLFZ", "water"),
            ("ZG-JJMT", "金建码头问题整改", "Jinjian Wharf rectification", "EN-JJMT", "air"),
            ("ZG-XZPK", "新闸排口问题整改", "Xinzha outfall rectification", "OF-XZPK", "water"),
        ]:
            self.project(code, name, category, None, "in_progress",
                         [("2025-01-05", "planned", "列入突出生态环境问题整改"), ("2025-02-15", "in_progress", "整改推进中")],
                         [site], stage="rectifying", progress=30, placeholder=False, name_en=name_en, unit="区攻坚办")

    # ---------------------------------------------------------------- output
    def write_collection(self, name, features):
        """One feature per line: compact, and diffs stay readable."""
        lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
        with open(os.path.join(GEODATA, name), "w", encoding="utf-8") as f:
            f.write('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n")

    def write_json(self, name, data):
        with open(os.path.join(GEODATA, name), "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")

    def clip_rivers(self):
        """Keeps the part of each drawn river inside the district (the longest piece)."""
        items = [{"code": f["properties"]["code"], "g": f["geometry"]} for f in self.sites["river"]]
        sql = f"""
        WITH d AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON('{json.dumps(self.district)}'), 4326) AS g),
             r AS (SELECT i->>'code' AS code, ST_SetSRID(ST_GeomFromGeoJSON(i->'g'), 4326) AS g
                   FROM jsonb_array_elements('{json.dumps(items, ensure_ascii=False)}'::jsonb) i),
             parts AS (SELECT r.code, (ST_Dump(ST_CollectionExtract(ST_Intersection(r.g, d.g), 2))).geom AS g FROM r, d)
        SELECT json_object_agg(code, ST_AsGeoJSON(g, 6)::json) FROM (
            SELECT DISTINCT ON (code) code, g FROM parts ORDER BY code, ST_Length(g) DESC) x"""
        clipped = json.loads(psql(self.db, sql))
        for f in self.sites["river"]:
            geometry = clipped.get(f["properties"]["code"])
            if geometry is None:
                sys.exit(f"river {f['properties']['code']} lies outside the district")
            f["geometry"] = {"type": geometry["type"], "coordinates": round_coords(geometry["coordinates"])}

    def run(self):
        admin = self.admin_areas()
        self.rivers()
        self.clip_rivers()
        self.black_odor()
        self.plots()
        self.zones()
        self.sections()
        self.outfalls()
        self.enterprises()
        self.facilities()
        self.assign_towns()
        self.programmes_and_projects()
        self.write_collection("admin_area.geojson", admin)
        for kind, features in self.sites.items():
            self.write_collection(f"{kind}.geojson", features)
        self.write_json("programmes.json", self.programmes)
        self.write_json("projects.json", self.projects)
        counts = {k: len(v) for k, v in self.sites.items()}
        links = sum(len(p["sites"]) for p in self.projects)
        print(json.dumps({"admin_area": len(admin), **counts, "programme": len(self.programmes),
                          "project": len(self.projects), "project_site": links}, ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=os.path.join(ROOT, "..", "shared", "reference"))
    parser.add_argument("--db", default=os.environ.get("GEODATA_DB", "postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker_test"))
    args = parser.parse_args()
    Builder(args.db, args.reference).run()


if __name__ == "__main__":
    main()
