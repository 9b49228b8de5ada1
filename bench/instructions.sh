#!/usr/bin/env bash
# Instructions per request (issue 20): the server under valgrind's callgrind, which counts the
# instructions the process executes (all its threads, PostgreSQL's work not included), for N
# requests each of
#   a warm tile   (z11 and z14, the same N addresses asked a second time, cache on);
#   a cold tile   (z11 and z14, N random addresses over the data, cache off);
#   an items page (a random 0.1° bbox of contaminated plots, limit 100).
# A count of instructions repeats whatever else the machine does, unlike req/s, so it gives a
# change a noise-free figure to compare; each measure's profile is kept for callgrind_annotate
# in bench/.scratch/callgrind.<measure>. It is not a timed test. Data: rt_ogc_bench (see
# bench/ogc_dataset.sh), built if missing.
#
#   bench/instructions.sh [N]        default 200
#
# Uses the server of $DATABASE_URL (default: the local set-up's). Builds the release binary if it
# is missing; do not run it while another cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
SERVER=${BASE%/*}
DB_URL="$SERVER/rt_ogc_bench"
SCRATCH=bench/.scratch
BIN=target/release/remediation-tracker
PORT=18094
mkdir -p "$SCRATCH"
cargo build --release --locked --quiet
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
. bench/ogc_dataset.sh

# the request paths of one measure, the same on every run
paths() { # items | tile ZOOM
    python3 - "$N" "$@" <<'PY'
import math, random, sys
n, what = int(sys.argv[1]), sys.argv[2]
random.seed(11)
def tile(lon, lat, z):
    x = int((lon + 180) / 360 * 2 ** z)
    r = math.radians(lat)
    return x, int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * 2 ** z)
for _ in range(n):
    if what == "items":
        lon, lat = 116.3 + random.random() * 5.5, 30.7 + random.random() * 4.3
        print(f"/ogc/collections/contaminated_plot/items?bbox={lon:.4f},{lat:.4f},{lon + 0.1:.4f},{lat + 0.1:.4f}&limit=100")
    else:
        z = int(sys.argv[3])
        (x0, y0), (x1, y1) = tile(116.3, 35.1, z), tile(121.9, 30.7, z)
        print(f"/tiles/sites/{z}/{random.randint(x0, x1)}/{random.randint(y0, y1)}.mvt")
PY
}

# one curl for a list of paths, on one connection, as a client pans
ask() { # paths-file
    sed "s|.*|url = \"http://127.0.0.1:$PORT&\"\noutput = /dev/null|" "$1" > "$SCRATCH/curl.conf"
    curl -s --fail-with-body -K "$SCRATCH/curl.conf" || { echo "a request failed" >&2; exit 1; }
}

measure() { # label tile-cache-MB paths-file warm(0|1): prints "label | instructions per request"
    rm -f "$SCRATCH"/callgrind.out.*
    RUST_LOG=warn DATABASE_URL=$DB_URL DB_MAX_CONNECTIONS=4 TILE_CACHE_MB=$2 \
        valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$SCRATCH/callgrind.out.%p" \
        "$BIN" serve --bind "127.0.0.1:$PORT" --web-dir web >"$SCRATCH/instructions.log" 2>&1 &
    local pid=$!
    for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
    # warm-up outside the count: the pools' connections, the statements' preparation, and for a
    # warm measure the cache itself
    head -5 "$3" > "$SCRATCH/warmup.txt"
    if [ "$4" = 1 ]; then ask "$3"; else ask "$SCRATCH/warmup.txt"; fi
    callgrind_control -i on "$pid" >/dev/null 2>&1
    ask "$3"
    callgrind_control -i off "$pid" >/dev/null 2>&1
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    local total
    total=$(awk '/^totals:/ {print $2}' "$SCRATCH"/callgrind.out.*)
    printf '| %s | %s | %s |\n' "$1" "$N" "$(awk -v t="$total" -v n="$N" 'BEGIN {printf "%.0f", t / n}')"
    # kept for callgrind_annotate: bench/.scratch/callgrind.<measure>
    mv "$SCRATCH"/callgrind.out.* "$SCRATCH/callgrind.$(echo "$1" | tr -c 'a-z0-9\n' '-' | cut -c1-24)"
}

echo "| request | requests | instructions per request |"
echo "|---|---|---|"
paths items > "$SCRATCH/items.txt"
measure "items page, bbox 0.1°, limit 100" 0 "$SCRATCH/items.txt" 0
for z in 11 14; do
    paths tile "$z" > "$SCRATCH/tiles-$z.txt"
    measure "tile z$z, cold" 0 "$SCRATCH/tiles-$z.txt" 0
    measure "tile z$z, warm" 64 "$SCRATCH/tiles-$z.txt" 1
done
