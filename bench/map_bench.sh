#!/usr/bin/env bash
# The map app in headless Chromium (issue 5), on this machine's release build:
#   first render: the sample data (database rt_map_sample, seeded), navigation to the first
#          complete map render (every layer drawn, the map idle), cold browser profile each time;
#   pan/zoom: 100,000 generated contaminated plots over Changzhou (database rt_map_plots, the
#          sample data plus the plots), drawn from vector tiles: the time from a pan or zoom to
#          the map idle with every visible tile drawn;
#   shipped JavaScript: the bytes on the wire (gzip) of every script and worker the page loads.
#
#   bench/map_bench.sh [RUNS]        default 10 runs of each
# Prints markdown rows for bench/RESULTS.md. Do not run it while a cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
SERVER=${BASE%/*}
SCRATCH=bench/.scratch
BIN=target/release/remediation-tracker
PORT=18095
mkdir -p "$SCRATCH"
cargo build --release --locked --quiet
(cd web && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error)

fresh_sample() { # database
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
    DATABASE_URL="$SERVER/$1" "$BIN" migrate 2>/dev/null
    DATABASE_URL="$SERVER/$1" "$BIN" seed --geodata geodata >/dev/null
}
if [ "$(psql -qAt "$SERVER/rt_map_sample" -c "SELECT count(*) FROM site" 2>/dev/null)" != 495 ]; then
    echo "==> building rt_map_sample" >&2
    fresh_sample rt_map_sample
fi
if [ "$(psql -qAt "$SERVER/rt_map_plots" -c "SELECT count(*) FROM site WHERE kind = 'contaminated_plot'" 2>/dev/null)" != 100010 ]; then
    echo "==> building rt_map_plots" >&2
    fresh_sample rt_map_plots
    file=$SCRATCH/changzhou-plots-100000.geojson
    [ -f "$file" ] || python3 bench/gen_sites.py --kind contaminated_plot --count 100000 --seed 31 \
        --bbox 119.3,31.4,120.2,32.0 --code-prefix MAP-CP- --out "$file"
    DATABASE_URL="$SERVER/rt_map_plots" "$BIN" import --kind contaminated_plot "$file" 2>&1 | grep -v WARN
    psql -q "$SERVER/rt_map_plots" -c "CLUSTER site USING site_geom_idx" -c "VACUUM ANALYZE"
fi

serve() { # database
    RUST_LOG=warn DATABASE_URL="$SERVER/$1" "$BIN" serve --bind "127.0.0.1:$PORT" --web-dir web >"$SCRATCH/map-server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
    cat "$SCRATCH/map-server.log" >&2
    exit 1
}
trap 'kill ${server:-0} 2>/dev/null || true' EXIT

serve rt_map_sample
(cd web && BASE_URL="http://127.0.0.1:$PORT" RUNS=$RUNS node ../bench/map_bench.mjs first-render)
kill $server; wait $server 2>/dev/null || true
serve rt_map_plots
(cd web && BASE_URL="http://127.0.0.1:$PORT" RUNS=$RUNS node ../bench/map_bench.mjs pan)
