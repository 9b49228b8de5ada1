#!/usr/bin/env bash
# Data-exchange benchmark (issue 19): exports COUNT synthetic polygons as a GeoPackage (and, for
# comparison, a zipped Shapefile and FlatGeobuf) with the release binary, then updates PROJECTS
# projects from one xlsx progress sheet (made by GDAL's ogr2ogr from a CSV, Chinese headers),
# reporting wall time and peak memory of each.
#
#   bench/exchange_bench.sh [COUNT] [PROJECTS]        defaults: 100000, 10000
#
# Uses the server of $DATABASE_URL (default: the local set-up's) with a scratch database
# rt_bench_exchange, dropped at the end unless KEEP=1. Builds the release binary if it is
# missing; do not run it while another cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
PROJECTS=${2:-10000}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
SERVER=${BASE%/*}
DB_URL="$SERVER/rt_bench_exchange"
SCRATCH=bench/.scratch
mkdir -p "$SCRATCH"
BIN=target/release/remediation-tracker
cargo build --release --locked --quiet
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

FILE="$SCRATCH/plots-$COUNT.geojson"
[ -f "$FILE" ] || python3 bench/gen_sites.py --kind contaminated_plot --count "$COUNT" --seed 42 --out "$FILE"
psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS rt_bench_exchange" -c "CREATE DATABASE rt_bench_exchange"
DATABASE_URL=$DB_URL "$BIN" migrate 2>/dev/null
DATABASE_URL=$DB_URL "$BIN" import --kind contaminated_plot "$FILE" 2>/dev/null

# timed: the command's wall time (s) and peak RSS (MB)
timed() {
    /usr/bin/time -v env DATABASE_URL="$DB_URL" "$@" 2>"$SCRATCH/time.txt" >/dev/null || { cat "$SCRATCH/time.txt"; exit 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$SCRATCH/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$SCRATCH/time.txt")
    echo "$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }') s, $((rss / 1024)) MB"
}

for format in gpkg shp fgb; do
    out="$SCRATCH/plots-$COUNT.$format"
    rm -f "$out"
    result=$(timed "$BIN" export --kind contaminated_plot --format "$format" --out "$out")
    echo "export $format of $COUNT polygons: $result, $(du -m "$out" | cut -f1) MB file"
done

# PROJECTS planned projects, and a sheet moving each one on: a third to in_progress with a
# progress, a third to preparing, a third unchanged but with a new stage
psql -q "$DB_URL" -c "INSERT INTO project (code, name, category, status)
    SELECT 'BP-' || lpad(i::text, 6, '0'), '示意项目 ' || i, 'water', 'planned' FROM generate_series(1, $PROJECTS) i"
python3 - "$PROJECTS" > "$SCRATCH/progress.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("项目编号,状态,进度,阶段,备注")
for i in range(1, n + 1):
    status, progress = [("在建", 30), ("前期准备", 0), ("计划", 0)][i % 3]
    print(f"BP-{i:06d},{status},{progress},阶段{i % 7},第{i}行")
PY
rm -f "$SCRATCH/progress.xlsx"
ogr2ogr -f XLSX "$SCRATCH/progress.xlsx" "$SCRATCH/progress.csv" -nln 进度
result=$(timed "$BIN" projects update "$SCRATCH/progress.xlsx")
events=$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM project_event")
echo "progress sheet of $PROJECTS projects: $result, $events history events"
[ "${KEEP:-0}" = 1 ] || psql -q "$SERVER/postgres" -c "DROP DATABASE rt_bench_exchange"
