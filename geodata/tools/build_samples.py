#!/usr/bin/env python3
"""Writes the illustrative measurements of geodata/samples/ (see geodata/README.md): monthly lab
results for the 128 monitoring sections (2024-01 to 2025-06), half-monthly results for 崔家浜
(RV-CJB, whose 一河一策 works started on 2025-05-20), weekly black-odor surveys of the 18 bodies,
and one soil survey of the 10 plots. Deterministic: the same files every run.

The values are made up, shaped only so that the grading has something to show: most sections
around class IV, some V and a few 劣V; 崔家浜 劣V before its works and IV after; 大周村中河
(BO-DZCZH) clear after its works and light again on its last survey (a rebound); one plot
(CP-L01) over GB 36600's screening value for arsenic.
"""
import csv
import math
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "samples"
rng = random.Random(20250630)

# typical values of a section per class: DO, CODMn, COD, BOD5, NH3-N, TP
LEVELS = {
    "III": (6.0, 5.0, 18.0, 3.5, 0.75, 0.15),
    "IV": (4.2, 8.0, 26.0, 5.0, 1.2, 0.25),
    "V": (2.6, 12.0, 35.0, 8.0, 1.8, 0.35),
    "worse_than_V": (1.7, 16.0, 44.0, 11.0, 2.5, 0.46),
}


def months():
    day = date(2024, 1, 1)
    while day <= date(2025, 6, 1):
        yield day
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)


def noisy(value, spread=0.12):
    return value * (1 + rng.uniform(-spread, spread))


def water_temp(day):
    # warm in July, cold in January
    return round(17 + 11 * -math.cos((day.month - 1) / 12 * 2 * math.pi), 1)


def sections():
    features = json.loads((ROOT / "monitoring_section.geojson").read_text())["features"]
    header = ["断面编码", "采样时间", "水温(℃)", "pH(无量纲)", "溶解氧(mg/L)", "高锰酸盐指数(mg/L)",
              "化学需氧量(mg/L)", "五日生化需氧量(mg/L)", "氨氮(mg/L)", "总磷(mg/L)"]
    rows = []
    for feature in features:
        code = feature["properties"]["code"]
        level = rng.choices(list(LEVELS), weights=[15, 55, 22, 8])[0]
        base = LEVELS[level]
        for month in months():
            at = datetime(month.year, month.month, rng.randint(5, 12), rng.randint(9, 11), rng.choice([0, 15, 30, 45]))
            do, codmn, cod, bod5, nh3n, tp = (noisy(v) for v in base)
            rows.append([code, at.strftime("%Y-%m-%d %H:%M"), water_temp(month), round(rng.uniform(7.0, 8.2), 2),
                         round(do, 2), round(codmn, 1), round(cod, 1), round(bod5, 1), round(nh3n, 3), round(tp, 3)])
    write("sections.csv", header, rows)


def river_before_and_after_works():
    header = ["site_code", "sampled_at", "do", "nh3n", "tp", "codmn"]
    rows = []
    day = date(2024, 1, 8)
    works_start = date(2025, 5, 20)
    while day <= date(2025, 6, 30):
        after = day >= works_start
        base = (4.1, 1.3, 0.27, 8.5) if after else (1.8, 2.6, 0.45, 15.5)
        do, nh3n, tp, codmn = (noisy(v, 0.08) for v in base)
        rows.append(["RV-CJB", f"{day} 10:00", round(do, 2), round(nh3n, 3), round(tp, 3), round(codmn, 1)])
        day += timedelta(days=15)
    write("rv-cjb.csv", header, rows)


def black_odor_surveys():
    features = json.loads((ROOT / "black_odor_water.geojson").read_text())["features"]
    header = ["site_code", "sampled_at", "透明度(cm)", "溶解氧(mg/L)", "氧化还原电位(mV)", "氨氮(mg/L)"]
    rows = []
    first = date(2024, 1, 3)
    weeks = (date(2025, 6, 30) - first).days // 7 + 1
    for feature in features:
        code = feature["properties"]["code"]
        severe = feature["properties"].get("severity") == "severe"
        # the week the body stops being black-odor (never for some)
        clears = rng.randint(20, weeks + 25)
        for week in range(weeks):
            day = first + timedelta(days=7 * week)
            if code == "BO-DZCZH":
                # works from 2025-04-01: clear until its last survey, light again (a rebound)
                black = day < date(2025, 4, 1) or day >= date(2025, 6, 24)
                light = True
            else:
                black = week < clears
                light = not severe or week > clears * 0.6
            if not black:
                values = (noisy(45), noisy(4.5), noisy(120), noisy(2.0))
            elif light:
                values = (noisy(18, 0.2), noisy(1.2, 0.3), noisy(-60, 0.5), noisy(6.0, 0.2))
            else:
                values = (noisy(7, 0.2), noisy(0.15, 0.2), noisy(-260, 0.1), noisy(17, 0.1))
            transparency, do, orp, nh3n = values
            rows.append([code, f"{day} 09:30", round(transparency, 1), round(do, 2), round(orp), round(nh3n, 2)])
    write("black-odor-surveys.csv", header, rows)


def soil_survey():
    features = json.loads((ROOT / "contaminated_plot.geojson").read_text())["features"]
    header = ["site_code", "sampled_at", "砷(mg/kg)", "镉(mg/kg)", "铅(mg/kg)", "六价铬(mg/kg)", "汞(mg/kg)", "苯(mg/kg)"]
    rows = []
    for feature in features:
        code = feature["properties"]["code"]
        arsenic = 72.0 if code == "CP-L01" else round(rng.uniform(6, 18), 1)
        rows.append([code, "2024-09-15 10:00", arsenic, round(rng.uniform(0.1, 0.6), 2), round(rng.uniform(30, 180)),
                     "<0.5", round(rng.uniform(0.05, 0.4), 2), "ND" if rng.random() < 0.7 else round(rng.uniform(0.05, 0.9), 2)])
    write("soil.csv", header, rows)


def write(name, header, rows):
    OUT.mkdir(exist_ok=True)
    with open(OUT / name, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    sections()
    river_before_and_after_works()
    black_odor_surveys()
    soil_survey()
