#!/usr/bin/env bash
# Location-query benchmark (issue 3): our server under wrk against the same SQL under pgbench,
# both at the same concurrency, over the dataset of bench/dataset.sh (run that first).
#
#   bench/query_bench.sh [SECONDS] [CONCURRENCY] [RUNS]      defaults: 20 s, 32, 3
#
# Each query runs RUNS times on each side, alternating; throughput on this shared 2-core machine
# varies by 10-20 % from run to run, so every figure printed is the median of its runs. Prints
# one markdown row per query (req/s, p50, p99 for both, and the ratio of the median rates) and
# writes each query's EXPLAIN ANALYZE to bench/explain/. The server runs with its default pool
# size unless DB_MAX_CONNECTIONS is set. Do not run it while a cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
CONCURRENCY=${2:-32}
RUNS=${3:-3}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
BENCH_URL="${BASE%/*}/rt_bench"
PORT=${BENCH_PORT:-18090}
BIN=target/release/remediation-tracker
SCRATCH=bench/.scratch
mkdir -p "$SCRATCH" bench/explain
cargo build --release --locked --quiet
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null

RUST_LOG=warn DATABASE_URL=$BENCH_URL "$BIN" serve --bind "127.0.0.1:$PORT" --web-dir web >"$SCRATCH/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

# p50 and p99 in ms from pgbench's per-transaction logs (column 3 is the latency in µs)
percentiles() {
    cat "$@" | awk '{print $3}' | sort -n | awk '{a[NR] = $1} END {printf "%.1f %.1f\n", a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000}'
}
# wrk prints latencies like 12.34ms or 1.02s
to_ms() {
    awk '{v = $1; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000} printf "%.1f", v}'
}

echo "| query | ours req/s | ours p50 ms | ours p99 ms | SQL tps | SQL p50 ms | SQL p99 ms | ratio |"
echo "|---|---|---|---|---|---|---|---|"
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for q in locate near bbox; do
    wrk -t2 -c"$CONCURRENCY" -d5s -s "bench/queries/$q.lua" "http://127.0.0.1:$PORT" >/dev/null   # warm-up
    : >"$SCRATCH/runs-$q.txt"
    for _ in $(seq "$RUNS"); do
        wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --latency -s "bench/queries/$q.lua" "http://127.0.0.1:$PORT" >"$SCRATCH/wrk-$q.txt"
        errors=$(grep -E "Non-2xx|Socket errors" "$SCRATCH/wrk-$q.txt" || true)
        [ -z "$errors" ] || echo "warning: $q: $errors" >&2
        ours=$(awk '/Requests\/sec/ {print $2}' "$SCRATCH/wrk-$q.txt")
        p50=$(awk '$1 == "50%" {print $2}' "$SCRATCH/wrk-$q.txt" | to_ms)
        p99=$(awk '$1 == "99%" {print $2}' "$SCRATCH/wrk-$q.txt" | to_ms)

        # plain TCP, as the server speaks to PostgreSQL (sqlx is built without TLS); libpq would
        # otherwise negotiate TLS with the Debian cluster's snakeoil certificate
        rm -f "$SCRATCH"/pgbench_log.*
        (cd "$SCRATCH" && pgbench -n -M prepared -c"$CONCURRENCY" -j2 -T"$SECONDS_PER_RUN" -l -f "../queries/$q.sql" "$BENCH_URL?sslmode=disable" >"pgbench-$q.txt" 2>&1)
        sql=$(awk '/^tps/ {print $3}' "$SCRATCH/pgbench-$q.txt")
        read -r sql50 sql99 < <(percentiles "$SCRATCH"/pgbench_log.*)
        echo "$ours $p50 $p99 $sql $sql50 $sql99" >>"$SCRATCH/runs-$q.txt"
    done
    median_of() { awk -v c="$1" '{print $c}' "$SCRATCH/runs-$q.txt" | median; }
    ours=$(median_of 1) sql=$(median_of 4)
    ratio=$(awk -v a="$ours" -v b="$sql" 'BEGIN {printf "%.2f", a / b}')
    printf '| %s | %.0f | %s | %s | %.0f | %s | %s | %s |\n' "$q" "$ours" "$(median_of 2)" "$(median_of 3)" "$sql" "$(median_of 5)" "$(median_of 6)" "$ratio"
    echo "  $q runs (ours req/s p50 p99, SQL tps p50 p99): $(tr '\n' ';' <"$SCRATCH/runs-$q.txt")" >&2
done

# the plans, at a point in the middle of the data
for q in locate near bbox; do
    grep -v '^\\set' "bench/queries/$q.sql" | grep -v '^--' | sed 's/:x/1195000/g; s/:y/325000/g' |
        while IFS= read -r statement; do
            [ -n "$statement" ] && psql -qAt "$BENCH_URL" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${statement%;}"
            echo
        done >"bench/explain/$q.txt"
done
