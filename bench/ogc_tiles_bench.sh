#!/usr/bin/env bash
# OGC API items and vector tiles against the reference servers (issue 4), all on one PostGIS
# database, rt_ogc_bench: 100,000 generated contaminated plots and 20,000 rivers over Jiangsu.
#
#   bench/peers.sh                                     once: installs Martin 1.14.0 and tipg
#   bench/ogc_tiles_bench.sh [SECONDS] [CONCURRENCY]   defaults: 20 s, 32
#   PARTS="cold warm" bench/ogc_tiles_bench.sh          only some parts (items cold warm fresh)
#   OURS_ONLY=1 GRADING=all bench/ogc_tiles_bench.sh   ours and the SQL only; with GRADING=all
#                                                      every site carries every grading column
#                                                      (issue 16), with GRADING=kinds the ones
#                                                      the tracker gives its kind (a plot its
#                                                      soil risk, a river its class), with
#                                                      GRADING=none none
#
# Measured side by side in one run, each under wrk (or pgbench for SQL) at the same concurrency:
#   items: a random 0.1° bbox of plots, limit 100: ours, tipg (2 uvicorn workers), and the SQL
#          our handler runs, straight under pgbench;
#   tiles cold: random tiles over the data at z8, z11 and z14 of the combined layer: ours with
#          the tile cache off, Martin with -C 0, and our tile SQL under pgbench;
#   tiles warm: the same tile addresses from a fixed set of 256 per zoom, caches on;
#   freshness: a site is moved; Martin (cached) keeps the old tile, ours serves the new one.
# Prints markdown rows for bench/RESULTS.md. Do not run it while a cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
PARTS=${PARTS:-items cold warm fresh}
part() { [[ " $PARTS " == *" $1 "* ]]; }
CONCURRENCY=${2:-32}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
SERVER=${BASE%/*}
DB_URL="$SERVER/rt_ogc_bench"
SCRATCH=bench/.scratch
PEERS=$SCRATCH/peers
BIN=target/release/remediation-tracker
OURS=18091 MARTIN=18092 TIPG=18093
mkdir -p "$SCRATCH"
cargo build --release --locked --quiet
[ -n "${OURS_ONLY:-}" ] || { [ -x "$PEERS/martin/bin/martin" ] && [ -x "$PEERS/tipg/bin/uvicorn" ]; } || bench/peers.sh
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null

. bench/ogc_dataset.sh

case ${GRADING:-} in
    all) psql -q "$DB_URL" -c "UPDATE site SET latest_class = (ARRAY['I','II','III','IV','V','worse_than_V'])[1 + id % 6],
                                   latest_sampled_at = now(), meets_target = id % 3 <> 0,
                                   soil_risk = CASE WHEN kind = 'contaminated_plot' THEN (ARRAY['below_screening','over_screening','over_intervention'])[1 + id % 3] END" -c "VACUUM ANALYZE site" ;;
    kinds) psql -q "$DB_URL" -c "UPDATE site SET latest_sampled_at = now(),
                                   latest_class = CASE WHEN kind <> 'contaminated_plot' THEN (ARRAY['I','II','III','IV','V','worse_than_V'])[1 + id % 6] END,
                                   meets_target = NULL,
                                   soil_risk = CASE WHEN kind = 'contaminated_plot' THEN (ARRAY['below_screening','over_screening','over_intervention'])[1 + id % 3] END" -c "VACUUM ANALYZE site" ;;
    none) psql -q "$DB_URL" -c "UPDATE site SET latest_class = NULL, latest_sampled_at = NULL, meets_target = NULL, soil_risk = NULL" -c "VACUUM ANALYZE site" ;;
esac

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
start_ours() { # tile cache megabytes
    RUST_LOG=warn DATABASE_URL=$DB_URL DB_MAX_CONNECTIONS=16 TILE_CACHE_MB=$1 "$BIN" serve --bind "127.0.0.1:$OURS" --web-dir web >"$SCRATCH/ours.log" 2>&1 &
    ours_pid=$!; pids+=($ours_pid); wait_port $OURS
}
start_martin() { # extra flags
    cat >"$SCRATCH/martin.yaml" <<YAML
listen_addresses: '127.0.0.1:$MARTIN'
postgres:
  connection_string: '$DB_URL'
  pool_size: 16
  auto_publish: false
  tables:
    site:
      schema: public
      table: site
      srid: 4326
      geometry_column: geom
      id_column: id
      geometry_type: GEOMETRY
      properties:
        code: text
        name: text
        kind: text
        remediation_state: text
        project_status: text
YAML
    "$PEERS/martin/bin/martin" --config "$SCRATCH/martin.yaml" "$@" >"$SCRATCH/martin.log" 2>&1 &
    martin_pid=$!; pids+=($martin_pid); wait_port $MARTIN
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

to_ms() { awk '{v = $1; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000} printf "%.1f", v}'; }
# wrk: "req/s p50 p99" of one run
run_wrk() { # script url
    wrk -t2 -c"$CONCURRENCY" -d3s -s "$1" "$2" >/dev/null
    wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --timeout 10s --latency -s "$1" "$2" >"$SCRATCH/wrk.txt"
    if grep -qE "Non-2xx|Socket errors" "$SCRATCH/wrk.txt"; then grep -E "Non-2xx|Socket errors" "$SCRATCH/wrk.txt" | sed "s|^|warning: $2: |" >&2; fi
    printf '%s %s %s\n' "$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$SCRATCH/wrk.txt")" \
        "$(awk '$1 == "50%" {print $2}' "$SCRATCH/wrk.txt" | to_ms)" "$(awk '$1 == "99%" {print $2}' "$SCRATCH/wrk.txt" | to_ms)"
}
# pgbench: "tps p50 p99"
run_sql() { # script
    # plain TCP, as the server speaks to PostgreSQL (sqlx is built without TLS); libpq would
    # otherwise negotiate TLS with the Debian cluster's snakeoil certificate
    rm -f "$SCRATCH"/pgbench_log.*
    (cd "$SCRATCH" && pgbench -n -M prepared -c"$CONCURRENCY" -j2 -T"$SECONDS_PER_RUN" -l -f "../../$1" "$DB_URL?sslmode=disable" >pgbench.txt 2>&1)
    printf '%s %s\n' "$(awk '/^tps/ {printf "%.0f", $3}' "$SCRATCH/pgbench.txt")" \
        "$(cat "$SCRATCH"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR] = $1} END {printf "%.1f %.1f", a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000}')"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "-"; else printf "%.2f", a / b}'; }

echo "| measure | ours req/s | p50 ms | p99 ms | peer | peer req/s | p50 ms | p99 ms | ours/peer | SQL tps | SQL p50 | SQL p99 | ours/SQL |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
row() { # label ours peer-name peer sql
    read -r o50 o51 o99 <<<"$2"; read -r p50 p51 p99 <<<"$4"
    if [ -n "$5" ]; then read -r s50 s51 s99 <<<"$5"; sql="| $s50 | $s51 | $s99 | $(ratio "$o50" "$s50") |"; else sql="| | | | |"; fi
    echo "| $1 | $o50 | $o51 | $o99 | $3 | $p50 | $p51 | $p99 | $(ratio "$o50" "$p50") $sql"
}

# --- items: ours and the SQL, then tipg --------------------------------------------------------
if part items; then
start_ours 0
ours_items=$(run_wrk bench/queries/ogc_items.lua "http://127.0.0.1:$OURS")
sql_items=$(run_sql bench/queries/ogc_items.sql)
stop "$ours_pid"
tipg_items="- - -"
[ -n "${OURS_ONLY:-}" ] || {
DATABASE_URL=$DB_URL TIPG_DB_SCHEMAS='["public"]' TIPG_MAX_FEATURES_PER_QUERY=10000 \
    "$PEERS/tipg/bin/uvicorn" tipg.main:app --host 127.0.0.1 --port $TIPG --workers 2 --log-level warning >"$SCRATCH/tipg.log" 2>&1 &
tipg_pid=$!; pids+=($tipg_pid); wait_port $TIPG
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$TIPG/collections/public.site" >/dev/null && break; sleep 0.2; done
tipg_items=$(run_wrk bench/queries/tipg_items.lua "http://127.0.0.1:$TIPG")
stop "$tipg_pid"
}
row "items: bbox 0.1°, limit 100" "$ours_items" tipg "$tipg_items" "$sql_items"
fi

# --- tiles, caches cold ------------------------------------------------------------------------
part cold && for z in ${ZOOMS:-8 11 14}; do
    start_ours 0
    ours=$(ZOOM=$z run_wrk bench/queries/tile_ours.lua "http://127.0.0.1:$OURS")
    stop "$ours_pid"
    sql=$(run_sql "bench/queries/tile_z$z.sql")
    martin="- - -"
    if [ -z "${OURS_ONLY:-}" ]; then
        start_martin -C 0
        martin=$(ZOOM=$z run_wrk bench/queries/tile_martin.lua "http://127.0.0.1:$MARTIN")
        stop "$martin_pid"
    fi
    row "tiles z$z, cold" "$ours" "Martin -C 0" "$martin" "$sql"
done

# --- tiles, caches warm: 256 fixed addresses per zoom --------------------------------------------
part warm && for z in ${ZOOMS:-8 11 14}; do
    start_ours 256
    ours=$(ZOOM=$z FIXED=256 run_wrk bench/queries/tile_ours.lua "http://127.0.0.1:$OURS")
    stop "$ours_pid"
    start_martin
    martin=$(ZOOM=$z FIXED=256 run_wrk bench/queries/tile_martin.lua "http://127.0.0.1:$MARTIN")
    stop "$martin_pid"
    row "tiles z$z, warm" "$ours" "Martin (cache on)" "$martin" ""
done

# --- freshness: move one plot far away, then ask both servers for its old tile -------------------
part fresh || exit 0
start_ours 256
start_martin
read -r site lon lat < <(psql -qAt -F ' ' "$DB_URL" -c "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site WHERE kind = 'contaminated_plot' ORDER BY id LIMIT 1")
read -r x y < <(python3 -c "import math,sys; lon,lat=float(sys.argv[1]),float(sys.argv[2]); n=2**14; print(int((lon+180)/360*n), int((1-math.asinh(math.tan(math.radians(lat)))/math.pi)/2*n))" "$lon" "$lat")
features() { python3 - "$1" <<'PY'
import sys, urllib.request
try:
    body = urllib.request.urlopen(sys.argv[1]).read()
except Exception:
    body = b""
print(len(body))
PY
}
before_ours=$(features "http://127.0.0.1:$OURS/tiles/sites/14/$x/$y.mvt"); before_martin=$(features "http://127.0.0.1:$MARTIN/site/14/$x/$y")
psql -qAt "$DB_URL" -c "UPDATE site SET geom = ST_Translate(geom, 0.5, 0) WHERE id = $site" >/dev/null
after_ours=$(features "http://127.0.0.1:$OURS/tiles/sites/14/$x/$y.mvt"); after_martin=$(features "http://127.0.0.1:$MARTIN/site/14/$x/$y")
psql -qAt "$DB_URL" -c "UPDATE site SET geom = ST_Translate(geom, -0.5, 0) WHERE id = $site" >/dev/null
echo
echo "freshness: tile 14/$x/$y after moving site $site away (bytes before -> after): ours $before_ours -> $after_ours; Martin $before_martin -> $after_martin"
