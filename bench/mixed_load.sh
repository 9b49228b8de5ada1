#!/usr/bin/env bash
# Mixed load and fault benchmark (issue 6) over rt_bench (bench/dataset.sh first): 80 % reads
# (locate, OGC items, tiles) and 20 % writes (transitions and progress edits with If-Match) from
# CLIENTS concurrent clients for SECONDS, twice: undisturbed, then with PostgreSQL restarted at half
# time. Each run uses a fresh server (release build) and reports per-route req/s and p50/p99, the
# 5xx count, the server's peak RSS, and lost updates: acknowledged writes without their history
# event. The server runs with its default pool size unless DB_MAX_CONNECTIONS is set. Restarting
# PostgreSQL needs root (pg_ctlcluster).
#
#   bench/mixed_load.sh [SECONDS] [CLIENTS]        defaults: 120 s, 64 clients
#
# Do not run it while a cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-120}
CLIENTS=${2:-64}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
BENCH_URL="${BASE%/*}/rt_bench"
PORT=${BENCH_PORT:-18095}
BIN=target/release/remediation-tracker
SCRATCH=bench/.scratch
mkdir -p "$SCRATCH"
cargo build --release --locked --quiet
DATABASE_URL=$BENCH_URL "$BIN" migrate 2>/dev/null
printf 'bench password\n' | DATABASE_URL=$BENCH_URL "$BIN" user add --username bench-editor --role editor 2>/dev/null || true

run() { # name [restart-at]
    local name=$1 restart=${2:-}
    RUST_LOG=warn DATABASE_URL=$BENCH_URL "$BIN" serve --bind "127.0.0.1:$PORT" --web-dir web >"$SCRATCH/server-$name.log" 2>&1 &
    local server=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    local token
    token=$(python3 - "$PORT" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("POST", "/api/auth/login", json.dumps({"username": "bench-editor", "password": "bench password"}), {"Content-Type": "application/json"})
r = c.getresponse(); r.read()
cookie = r.getheader("Set-Cookie").split(";")[0]
c.request("POST", "/api/auth/tokens", json.dumps({"name": "mixed load"}), {"Content-Type": "application/json", "Cookie": cookie})
print(json.loads(c.getresponse().read())["token"])
PY
)
    local since
    since=$(psql -qAt "$BENCH_URL" -c "SELECT now()")
    local extra=()
    [ -n "$restart" ] && extra=(--restart-at "$restart" --restart-cmd "pg_ctlcluster 15 main restart")
    python3 bench/mixed_load.py --base "http://127.0.0.1:$PORT" --token "$token" --projects 1-100000 \
        --seconds "$SECONDS_PER_RUN" --clients "$CLIENTS" --acked "$SCRATCH/acked-$name.json" "${extra[@]}" \
        >"$SCRATCH/summary-$name.json"
    local rss_kb
    rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
    kill "$server"; wait "$server" 2>/dev/null || true
    # every acknowledged write must have its history event
    python3 - "$SCRATCH/acked-$name.json" >"$SCRATCH/acked-$name.csv" <<'PY'
import json, sys
for project, kind, _ in json.load(open(sys.argv[1])):
    print(f"{project},{kind}")
PY
    local lost
    lost=$(psql -qAt "$BENCH_URL" <<SQL
CREATE TEMP TABLE acked (project_id bigint, kind text);
\copy acked FROM '$SCRATCH/acked-$name.csv' WITH (FORMAT csv)
WITH a AS (SELECT project_id, kind, count(*) AS n FROM acked GROUP BY 1, 2),
     e AS (SELECT project_id, kind, count(*) AS n FROM project_event
           WHERE actor_name = 'bench-editor' AND at >= '$since' GROUP BY 1, 2)
SELECT coalesce(sum(greatest(a.n - coalesce(e.n, 0), 0)), 0) FROM a LEFT JOIN e USING (project_id, kind);
SQL
)
    python3 - "$SCRATCH/summary-$name.json" "$name" "$rss_kb" "$lost" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); name, rss, lost = sys.argv[2], int(sys.argv[3]), sys.argv[4]
print(f"\n{name}: {s['requests']} requests in {s['seconds']} s, {s['clients']} clients; "
      f"5xx or no answer: {s['server_errors']}; acknowledged writes: {s['acked_writes']}, lost: {lost}; "
      f"peak RSS {rss / 1024:.0f} MB")
if "restart" in s:
    r = s["restart"]
    print(f"PostgreSQL restarted at {r['at_s']} s (back after {r['db_back_after_s']} s); "
          f"failed requests around it: {r['errors_during']}; service answering 2xx again {r['service_ok_after_s']} s after the restart began")
print("| route | requests | req/s | p50 ms | p99 ms | statuses |")
print("|---|---|---|---|---|---|")
for route, r in s["routes"].items():
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
    print(f"| {route} | {r['requests']} | {r['req_per_s']} | {r['p50_ms']} | {r['p99_ms']} | {statuses} |")
PY
}

run plain
run restart "$(( SECONDS_PER_RUN / 2 ))"
