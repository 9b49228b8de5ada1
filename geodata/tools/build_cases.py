#!/usr/bin/env python3
"""Writes the illustrative casework ledgers of geodata/cases/ (see geodata/README.md), in the
Chinese headers a bureau's 台账 uses. Deterministic: the same files every run.

Only the counts come from the 2025 mid-year report: 165 petitions received since 1 January, 138
of them resolved and 27 in progress; 17 hidden dangers, 1 of them major, 14 rectified; 6 findings
in the emergency plans of 5 firms, all rectified; the 3 prominent problems 国礼纺织, 金建码头 and
新闸排口. Every place, date, text, name and phone number is made up.
"""
import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "cases"
rng = random.Random(20250630)
AS_OF = date(2025, 6, 30)

HEADER = ["编号", "受理日期", "来源", "类别", "标题", "内容", "地址/位置", "经度", "纬度",
          "站点编码", "镇街", "责任单位", "办理期限", "办理状态", "办结情况", "办结日期", "信访人",
          "联系电话", "重复件"]


def towns():
    """The towns' outer rings, for placing points inside them."""
    areas = json.loads((ROOT / "admin_area.geojson").read_text(encoding="utf-8"))
    out = []
    for f in areas["features"]:
        if f["properties"].get("level") != "town":
            continue
        geometry = f["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        out.append((f["properties"]["name"], [p[0] for p in polygons]))
    return out


def inside(ring, x, y):
    crossings = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings = not crossings
    return crossings


def point_in(rings):
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    while True:
        x, y = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
        if any(inside(ring, x, y) for ring in rings):
            return round(x, 6), round(y, 6)


def near(x, y, metres):
    """A point within `metres` of (x, y), roughly (1° of latitude ≈ 111 km here)."""
    dx = rng.uniform(-metres, metres) / 94_600
    dy = rng.uniform(-metres, metres) / 111_000
    return round(x + dx * 0.7, 6), round(y + dy * 0.7, 6)


def day_between(first, last):
    return first + timedelta(days=rng.randrange((last - first).days + 1))


TOPICS = {
    "噪声": ["夜间施工噪声扰民", "商铺外放音响噪声", "空调外机噪声", "工地机械噪声"],
    "大气": ["餐饮油烟扰民", "企业废气异味", "露天焚烧烟雾", "工地扬尘"],
    "水": ["河道发黑发臭", "排口排放污水", "河面漂浮物"],
    "固废": ["建筑垃圾乱倒", "工业固废堆放"],
    "其他": ["光污染", "电磁辐射疑虑"],
}
SOURCES = ["12345热线"] * 6 + ["来信", "来访", "网上信访"] * 2


def petitions(town_rings):
    rows = []
    # a few places where petitions repeat: (town, category, how many, first day)
    clusters = [("新闸街道", "噪声", 5, date(2025, 1, 8)), ("邹区镇", "大气", 4, date(2025, 2, 3)),
                ("五星街道", "大气", 3, date(2025, 3, 12)), ("西林街道", "水", 3, date(2025, 4, 2))]
    by_town = dict(town_rings)
    n = 0
    for town, category, count, first in clusters:
        x, y = point_in(by_town[town])
        topic = rng.choice(TOPICS[category])
        first_code = None
        day = first
        for k in range(count):
            n += 1
            code = f"XF2025-{n:04d}"
            px, py = (x, y) if k == 0 else near(x, y, 120)
            rows.append(dict(code=code, day=day, category=category, topic=topic, town=town,
                             x=px, y=py, repeat=first_code))
            first_code = first_code or code
            day += timedelta(days=rng.randrange(9, 30))
    while n < 165:
        n += 1
        town, rings = rng.choice(town_rings)
        category = rng.choices(list(TOPICS), weights=[35, 35, 15, 10, 5])[0]
        x, y = point_in(rings)
        rows.append(dict(code=f"XF2025-{n:04d}", day=day_between(date(2025, 1, 1), AS_OF),
                         category=category, topic=rng.choice(TOPICS[category]), town=town,
                         x=x, y=y, repeat=None))
    rows.sort(key=lambda r: (r["day"], r["code"]))
    # the 27 received last are the ones still in progress on 30 June
    open_codes = {r["code"] for r in rows[-27:]}
    out = []
    for r in rows:
        source = rng.choice(SOURCES)
        deadline = r["day"] + timedelta(days=15 if source == "12345热线" else 60)
        status, resolution, resolved_on = "办理中", "", ""
        if r["code"] not in open_codes:
            resolved = min(r["day"] + timedelta(days=rng.randrange(3, 30)), AS_OF)
            status = "已办结"
            resolution = f"经现场核查，已督促责任方整改并答复信访人（示意）"
            resolved_on = resolved.isoformat()
        out.append([r["code"], r["day"].isoformat(), source, r["category"], r["topic"],
                    f"群众反映{r['town']}{r['topic']}（示意数据）", f"{r['town']}（示意位置）",
                    r["x"], r["y"], "", r["town"], f"{r['town']}办事处", deadline.isoformat(), status,
                    resolution, resolved_on, f"{rng.choice('张王李赵陈刘')}先生（示意）",
                    f"1380000{rng.randrange(10000):04d}", r["repeat"] or ""])
    return out


def site_codes(prefix):
    sites = json.loads((ROOT / "enterprise.geojson").read_text(encoding="utf-8"))
    return [f["properties"]["code"] for f in sites["features"]
            if f["properties"]["code"].startswith(prefix)]


DANGER_HEADER = ["编号", "发现日期", "来源", "类别", "问题", "问题描述", "站点编码", "责任单位",
                 "整改期限", "隐患等级", "检查", "整改状态", "整改情况", "整改完成日期"]
DANGER_TOPICS = ["危废贮存库防渗层破损", "危废标签标识不规范", "应急物资配备不足",
                 "消防通道堆放杂物", "危化品台账不完整", "视频监控未接入平台"]


def hidden_dangers():
    firms = site_codes("EN-HW") * 2 + ["EN-PP01", "EN-PP05", "EN-RS010", "EN-RS024", "EN-LT001"]
    out = []
    for n, site in enumerate(firms, start=1):
        found = day_between(date(2025, 3, 1), date(2025, 5, 31))
        major = n == 1
        done = n <= 14
        topic = "危废贮存库存在泄漏风险" if major else rng.choice(DANGER_TOPICS)
        out.append([f"YH2025-{n:03d}", found.isoformat(), "检查", "固废" if n % 3 else "其他",
                    topic, f"{topic}（示意数据）", site, "企业（属地督办）",
                    (found + timedelta(days=30)).isoformat(), "重大" if major else "一般",
                    "2025年“防风险、除隐患”安全生产春季行动",
                    "整改完成" if done else "整改中",
                    "已完成整改并复核（示意）" if done else "",
                    min(found + timedelta(days=rng.randrange(5, 28)), AS_OF).isoformat() if done else ""])
    # the major one is among those still open
    out[0][11], out[0][12], out[0][13] = "整改中", "", ""
    out[14][11], out[14][12], out[14][13] = "整改完成", "已完成整改并复核（示意）", "2025-06-20"
    return out


def findings():
    firms = ["EN-HW1", "EN-HW3", "EN-PP01", "EN-PP05", "EN-RS010", "EN-HW1"]
    topics = ["应急预案未按期修编", "风险评估未覆盖新增工艺", "应急演练记录缺失",
              "应急物资清单与实际不符", "应急组织机构人员变动未更新", "预案未报备"]
    out = []
    for n, (site, topic) in enumerate(zip(firms, topics), start=1):
        found = date(2025, 4, 10) + timedelta(days=n)
        out.append([f"JC2025-{n:03d}", found.isoformat(), "检查", "其他", topic,
                    f"{topic}（示意数据）", site, "企业", (found + timedelta(days=20)).isoformat(),
                    "", "企业应急预案", "整改完成", "已修订并报备（示意）",
                    (found + timedelta(days=rng.randrange(5, 18))).isoformat()])
    return out


PROMINENT_HEADER = ["编号", "交办日期", "来源", "类别", "问题", "问题描述", "站点编码",
                    "项目编号", "责任单位", "整改期限", "整改状态", "最新进展"]


def prominent():
    return [
        ["TC2024-001", "2024-09-10", "上级交办", "其他", "国礼纺织问题", "企业与规划不符，需整治提升或关停（示意）",
         "EN-GLFZ", "ZG-GLFZ", "区攻坚办", "2025-12-31", "办理中",
         "与企业对接政策，建议上级调整为整治提升类企业（示意）"],
        ["TC2024-002", "2024-09-10", "上级交办", "大气", "金建码头问题", "码头无港口经营许可证，扬尘与污水问题（示意）",
         "EN-JJMT", "ZG-JJMT", "区住建局", "2025-12-31", "办理中",
         "研究港口规划局部调整等方式，为申领经营许可创造条件（示意）"],
        ["TC2024-003", "2024-09-10", "上级交办", "水", "新闸排口问题", "雨水排口旱天有污水溢流（示意）",
         "OF-XZPK", "ZG-XZPK", "新闸街道", "2025-12-31", "办理中",
         "核查截污工程质量，重新开展管网排查溯源（示意）"],
    ]


def write(name, header, rows):
    OUT.mkdir(exist_ok=True)
    with (OUT / name).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


if __name__ == "__main__":
    write("petition.csv", HEADER, petitions(towns()))
    write("hidden_danger.csv", DANGER_HEADER, hidden_dangers())
    write("inspection_finding.csv", DANGER_HEADER, findings())
    write("prominent_problem.csv", PROMINENT_HEADER, prominent())
