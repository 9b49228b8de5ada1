#!/usr/bin/env bash
# Measurements at scale (issue 16), in database rt_monitoring_bench: 1,000 generated sections
# over Jiangsu with 10 parameters daily for five years (2020-01-01 to 2024-12-30: 18,260,000
# values), built once with SQL.
#
#   bench/monitoring_bench.sh [SECONDS] [CONCURRENCY]     defaults: 20 s, 32
#
# Measured:
#   import: a lab sheet of 100,000 rows × 10 parameters (1,000,000 values, 2019 dates, so none
#           is a duplicate) through `remediation-tracker samples import`: wall time and peak
#           memory (GNU time), then removed again so that the next run imports the same sheet;
#   monthly assessment: GET /api/assessments?period=2024-06 (all 1,000 sections), 20 times in a
#           row: p50 and the slowest;
#   series: GET /api/sites/{id}/samples?parameter=nh3n over the five years (1,826 points) of a
#           random section under wrk, and the statement the handler runs under pgbench (and
#           the row-by-row statement it replaced, for comparison).
# Prints markdown rows for bench/RESULTS.md. Do not run it while a cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
CONCURRENCY=${2:-32}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
SERVER=${BASE%/*}
DB_URL="$SERVER/rt_monitoring_bench"
SCRATCH=bench/.scratch
BIN=target/release/remediation-tracker
PORT=18095
mkdir -p "$SCRATCH"
cargo build --release --locked --quiet
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

if [ "$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM sample" 2>/dev/null)" != 18260000 ]; then
    echo "==> building rt_monitoring_bench (about ten minutes)" >&2
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS rt_monitoring_bench" -c "CREATE DATABASE rt_monitoring_bench"
    DATABASE_URL=$DB_URL "$BIN" migrate 2>/dev/null
    psql -v ON_ERROR_STOP=1 -q "$DB_URL" <<'SQL'
SET synchronous_commit = off;
SELECT setseed(0.16);
INSERT INTO site (kind, code, name, attrs, geom)
SELECT 'monitoring_section', 'BM-' || lpad(i::text, 4, '0'), '基准断面 ' || i,
       jsonb_build_object('level', 'district', 'water_target', (ARRAY['III', 'IV'])[1 + i % 2]),
       ST_SetSRID(ST_MakePoint(116.4 + random() * 5.4, 30.8 + random() * 4.2), 4326)
FROM generate_series(1, 1000) i;
-- each section keeps a level of its own (0.5 to 1.5 times the typical value), with daily noise
INSERT INTO sample (site_id, sampled_at, parameter, value)
SELECT s.id, d + interval '1 hour', p.code,
       round((p.typical * (0.5 + (s.id % 11) / 10.0) * (0.85 + random() * 0.3))::numeric, 3)::float8
FROM site s
CROSS JOIN generate_series('2020-01-01 00:00+00'::timestamptz, '2024-12-30 00:00+00', interval '1 day') d
CROSS JOIN (VALUES ('do', 5.5), ('codmn', 6.0), ('cod', 20.0), ('bod5', 4.0), ('nh3n', 1.0),
                   ('tp', 0.2), ('tn', 2.0), ('ph', 7.2), ('water_temp', 18.0), ('transparency', 60.0)) p(code, typical);
VACUUM ANALYZE sample;
SQL
fi
psql -qAt "$DB_URL" -c "SELECT 'dataset: ' || count(*) || ' values, ' || pg_size_pretty(pg_total_relation_size('sample')) || ' with indexes' FROM sample" >&2

# import: 100,000 rows × 10 parameters, in 2019 (before every stored value)
SHEET=$SCRATCH/lab-sheet-1m.csv
if [ ! -f "$SHEET" ]; then
    python3 - "$SHEET" <<'PY'
import random, sys
from datetime import date, timedelta
random.seed(19)
names = ["溶解氧(mg/L)", "高锰酸盐指数(mg/L)", "化学需氧量(mg/L)", "五日生化需氧量(mg/L)", "氨氮(mg/L)",
         "总磷(mg/L)", "总氮(mg/L)", "pH(无量纲)", "水温(℃)", "透明度(cm)"]
typical = [5.5, 6.0, 20.0, 4.0, 1.0, 0.2, 2.0, 7.2, 18.0, 60.0]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("断面编码,采样时间," + ",".join(names) + "\n")
    for day in range(100):
        when = (date(2019, 1, 1) + timedelta(days=day)).isoformat() + " 09:00"
        for section in range(1, 1001):
            values = ",".join(f"{t * random.uniform(0.6, 1.4):.3f}" for t in typical)
            f.write(f"BM-{section:04d},{when},{values}\n")
PY
fi
psql -q "$DB_URL" -c "DELETE FROM alert_outbox; DELETE FROM alert; DELETE FROM sample WHERE sampled_at < '2020-01-01'; DELETE FROM sample_batch;"
/usr/bin/time -f "%e %M" -o "$SCRATCH/import.time" env DATABASE_URL=$DB_URL "$BIN" samples import "$SHEET" 2>"$SCRATCH/import.log" || { cat "$SCRATCH/import.log" >&2; exit 1; }
read -r import_secs import_kb <"$SCRATCH/import.time"
echo "| import: 100,000 rows × 10 parameters (1,000,000 values) | $import_secs s | $((import_kb / 1024)) MB peak |"
psql -q "$DB_URL" -c "DELETE FROM alert_outbox; DELETE FROM alert; DELETE FROM sample WHERE sampled_at < '2020-01-01'; DELETE FROM sample_batch;"
# the grading of the stored data, as the sites carry it
psql -qAt "$DB_URL" -c "SELECT count(*) FROM site WHERE latest_class IS NOT NULL" >/dev/null

DATABASE_URL=$DB_URL DB_MAX_CONNECTIONS=16 "$BIN" serve --bind "127.0.0.1:$PORT" --web-dir web >"$SCRATCH/monitoring-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

# monthly assessment of every section
for _ in $(seq 3); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/assessments?period=2024-06"; done
times=$(for _ in $(seq 20); do curl -fs -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/api/assessments?period=2024-06"; done | sort -n)
p50=$(sed -n 10p <<<"$times"); worst=$(tail -1 <<<"$times")
assessed=$(curl -fs "http://127.0.0.1:$PORT/api/assessments?period=2024-06" | python3 -c 'import json,sys; print(json.load(sys.stdin)["assessed"])')
echo "| monthly assessment of all sections ($assessed assessed), 20 sequential requests | p50 $(python3 -c "print(round($p50*1000,1))") ms | slowest $(python3 -c "print(round($worst*1000,1))") ms |"

# one section's five-year series of one parameter
first=$(psql -qAt "$DB_URL" -c "SELECT min(id) FROM site")
cat >"$SCRATCH/series.lua" <<LUA
request = function()
  return wrk.format("GET", "/api/sites/" .. math.random($first, $first + 999) .. "/samples?parameter=nh3n")
end
LUA
wrk -t2 -c8 -d3s -s "$SCRATCH/series.lua" "http://127.0.0.1:$PORT" >/dev/null
out=$(wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --latency -s "$SCRATCH/series.lua" "http://127.0.0.1:$PORT")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
# the statement the handler runs (the monthly arrays of migration 0018), and for comparison the
# row-by-row range over sample that it replaced
cat >"$SCRATCH/series.sql" <<SQL
\set id random($first, $first + 999)
SELECT sampled_at, value, below_detection FROM sample_month
WHERE site_id = :id AND parameter = 'nh3n'
  AND month >= sample_month_of('1900-01-01') AND month <= sample_month_of('2200-01-01')
ORDER BY month;
SQL
cat >"$SCRATCH/series-rows.sql" <<SQL
\set id random($first, $first + 999)
SELECT sampled_at, value, below_detection FROM sample
WHERE site_id = :id AND parameter = 'nh3n' AND sampled_at >= '1900-01-01' AND sampled_at < '2200-01-01'
ORDER BY sampled_at LIMIT 5001;
SQL
pgbench_tps() { pgbench -n -M prepared -c"$CONCURRENCY" -j2 -T"$SECONDS_PER_RUN" -f "$1" "$DB_URL" 2>/dev/null | awk '/^tps/ {print $3}'; }
tps=$(pgbench_tps "$SCRATCH/series.sql")
rows_tps=$(pgbench_tps "$SCRATCH/series-rows.sql")
ratio=$(python3 -c "print(round($rps / $tps, 2))")
echo "| series: one section, nh3n, 5 years (1,826 points), c$CONCURRENCY | $rps req/s | p50 $p50, p99 $p99 | its SQL under pgbench $tps tps (the row-by-row range: $rows_tps tps) | ours/SQL $ratio |"
