#!/usr/bin/env bash
# Import benchmark (issues 2 and 19): generates COUNT synthetic polygons over Jiangsu, imports
# them into a fresh database with the release binary, and reports wall time, peak memory and
# throughput. FORMAT shp first turns the GeoJSON into a Shapefile by GDAL's ogr2ogr, in EPSG:4549
# with a GBK DBF, as a survey institute sends it (the conversion is not timed).
#
#   bench/import_bench.sh [COUNT] [FORMAT]        defaults: 100000, geojson (or shp)
#
# Uses the server of $DATABASE_URL (default: the local set-up's) with a scratch database
# rt_bench_import, dropped at the end unless KEEP=1. Builds the release binary if it is missing;
# do not run it while another cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
FORMAT=${2:-geojson}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
SERVER=${BASE%/*}
DB_URL="$SERVER/rt_bench_import"
SCRATCH=bench/.scratch
mkdir -p "$SCRATCH"
BIN=target/release/remediation-tracker
cargo build --release --locked --quiet
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

FILE="$SCRATCH/plots-$COUNT.geojson"
[ -f "$FILE" ] || python3 bench/gen_sites.py --kind contaminated_plot --count "$COUNT" --seed 42 --out "$FILE"
if [ "$FORMAT" = shp ]; then
    SHP="$SCRATCH/plots-$COUNT-4549.shp"
    [ -f "$SHP" ] || ogr2ogr -f "ESRI Shapefile" -t_srs EPSG:4549 -lco ENCODING=GBK "$SHP" "$FILE"
    FILE=$SHP
fi

psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS rt_bench_import" -c "CREATE DATABASE rt_bench_import"
DATABASE_URL=$DB_URL "$BIN" migrate 2>/dev/null

/usr/bin/time -v env DATABASE_URL="$DB_URL" "$BIN" import --kind contaminated_plot "$FILE" 2>"$SCRATCH/time.txt" || { cat "$SCRATCH/time.txt"; exit 1; }
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$SCRATCH/time.txt")
seconds=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$SCRATCH/time.txt")
rows=$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM site")
size_mb=$(du -mc "${FILE%.*}".* | tail -1 | cut -f1)
echo "format:          $FORMAT"
echo "features:        $COUNT"
echo "file size:       ${size_mb} MB"
echo "rows afterwards: $rows"
echo "wall time:       ${seconds} s"
echo "peak RSS:        $((rss_kb / 1024)) MB"
echo "throughput:      $(awk -v n="$COUNT" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }') features/s"
[ "${KEEP:-0}" = 1 ] || psql -q "$SERVER/postgres" -c "DROP DATABASE rt_bench_import"
