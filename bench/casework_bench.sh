#!/usr/bin/env bash
# Casework at scale (issue 17), in rt_bench (bench/dataset.sh: 1,000,000 sites and 100,000
# projects over Jiangsu, towns a 0.1° grid): 100,000 generated cases added with SQL, each with
# its history (a created event and one or two status events), spread over Jiangsu and
# 2024-07-01 to 2025-06-30: 70 % petitions, in clusters so that repeats exist.
#
#   bench/casework_bench.sh [SECONDS] [CONCURRENCY]     defaults: 20 s, 32
#
# Measured:
#   repeat check: GET /api/cases/repeats?lon=&lat=&category=&received_on=2025-06-30 at a random
#                 stored petition's place, under wrk with a viewer's token;
#   case list:    GET /api/cases?kind=petition&status=handling&category=noise&bbox=(a random
#                 0.5° box)&limit=50 under wrk, beside the statement the server runs for it
#                 under pgbench (the same text, filters bound), as ours/SQL;
#   report:       remediation-tracker report --as-of 2025-06-30 --format xlsx over the 100,000
#                 projects, their history and the 100,000 cases: wall time and peak memory.
# Prints markdown rows for bench/RESULTS.md. Do not run it while a cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
CONCURRENCY=${2:-32}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
DB_URL="${BASE%/*}/rt_bench"
SCRATCH=bench/.scratch
BIN=target/release/remediation-tracker
PORT=18096
mkdir -p "$SCRATCH"
cargo build --release --locked --quiet
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
[ "$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM project" 2>/dev/null)" = 100000 ] || bench/dataset.sh
DATABASE_URL=$DB_URL "$BIN" migrate 2>/dev/null

if [ "$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM casework")" != 100000 ]; then
    echo "==> adding 100,000 cases to rt_bench" >&2
    psql -v ON_ERROR_STOP=1 -q "$DB_URL" <<'SQL'
SET synchronous_commit = off;
SELECT setseed(0.17);
TRUNCATE casework, case_event;
-- 2,000 places where petitions cluster, each with 35 of them within about 300 m
CREATE TEMP TABLE spot AS
SELECT g AS n, 116.4 + random() * 5.4 AS lon, 30.8 + random() * 4.2 AS lat FROM generate_series(1, 2000) g;
INSERT INTO casework (kind, code, received_on, source, category, title, point, town_code,
                      responsible_unit, deadline, severity, status, resolution, complainant_name, complainant_phone)
SELECT kind, code, received_on, source, category, '基准案件 ' || i, ST_SetSRID(ST_MakePoint(lon, lat), 4326),
       (SELECT a.code FROM admin_area a WHERE a.level = 'town' AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(lon, lat), 4326)) LIMIT 1),
       '基准责任单位', received_on + 30, CASE WHEN kind = 'hidden_danger' THEN (ARRAY['major', 'general'])[1 + (i % 10 > 0)::int] END,
       status, CASE WHEN status IN ('resolved', 'closed') THEN '已办结（基准）' END,
       CASE WHEN kind = 'petition' THEN '基准信访人' END, CASE WHEN kind = 'petition' THEN '13800000000' END
FROM (
    SELECT i,
           CASE WHEN i <= 70000 THEN 'petition' WHEN i <= 85000 THEN 'hidden_danger'
                WHEN i <= 99000 THEN 'inspection_finding' ELSE 'prominent_problem' END AS kind,
           'BC-' || lpad(i::text, 6, '0') AS code,
           date '2024-07-01' + (random() * 364)::int AS received_on,
           (ARRAY['letter', 'visit', 'hotline_12345', 'online', 'inspection', 'higher_authority'])[1 + (i % 6)] AS source,
           (ARRAY['air', 'water', 'noise', 'solid_waste', 'soil', 'other'])[1 + (i % 6)] AS category,
           CASE WHEN i % 10 < 8 THEN 'resolved' ELSE 'handling' END AS status,
           s.lon + (random() - 0.5) * 0.006 AS lon, s.lat + (random() - 0.5) * 0.006 AS lat
    FROM generate_series(1, 100000) i JOIN spot s ON s.n = 1 + i % 2000
) c;
INSERT INTO case_event (case_id, at, actor_name, kind, to_status, changes, note)
SELECT c.id, c.received_on + time '09:00', 'bench', 'created', 'received',
       jsonb_build_object('snapshot', jsonb_build_object('kind', c.kind, 'code', c.code, 'status', 'received',
           'received_on', c.received_on, 'category', c.category, 'source', c.source, 'title', c.title,
           'severity', c.severity, 'inspection', c.inspection, 'town_code', c.town_code)), 'generated'
FROM casework c;
INSERT INTO case_event (case_id, at, actor_name, kind, from_status, to_status, note)
SELECT c.id, c.received_on + time '10:00' + interval '1 day', 'bench', 'status', 'received', 'handling', '交办'
FROM casework c;
INSERT INTO case_event (case_id, at, actor_name, kind, from_status, to_status, note)
SELECT c.id, c.received_on + time '10:00' + interval '10 days', 'bench', 'status', 'handling', 'resolved', '办结'
FROM casework c WHERE c.status = 'resolved';
VACUUM ANALYZE casework;
VACUUM ANALYZE case_event;
SQL
fi
psql -qAt "$DB_URL" -c "SELECT 'dataset: ' || count(*) || ' cases (' || count(*) FILTER (WHERE kind = 'petition') || ' petitions), ' || (SELECT count(*) FROM case_event) || ' case events, ' || (SELECT count(*) FROM project) || ' projects, ' || (SELECT count(*) FROM project_event) || ' project events' FROM casework" >&2

# the report, as of the end of the cases' year
/usr/bin/time -f "%e %M" -o "$SCRATCH/casework-report.time" env DATABASE_URL=$DB_URL "$BIN" report --as-of 2025-06-30 --format xlsx --out "$SCRATCH/casework-report.xlsx" 2>"$SCRATCH/casework-report.log" || { cat "$SCRATCH/casework-report.log" >&2; exit 1; }
read -r report_secs report_kb <"$SCRATCH/casework-report.time"
echo "| report as of 2025-06-30, xlsx, 100,000 projects + 100,000 cases | $report_secs s | $((report_kb / 1024)) MB peak |"

printf 'bench password\n' | DATABASE_URL=$DB_URL "$BIN" user add --username bench-viewer --role viewer 2>/dev/null || true
DATABASE_URL=$DB_URL DB_MAX_CONNECTIONS=16 RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" --web-dir web >"$SCRATCH/casework-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
token=$(python3 bench/api_token.py "$PORT" bench-viewer "bench password" "casework bench")

# the repeat check at 2,000 stored petitions' places
{
    echo "places = {"
    psql -qAt "$DB_URL" -c "SELECT format('{%s,%s,%L},', round(ST_X(geom)::numeric, 6), round(ST_Y(geom)::numeric, 6), category) FROM casework WHERE kind = 'petition' ORDER BY id LIMIT 2000"
    echo "}"
    cat <<LUA
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  local p = places[math.random(#places)]
  return wrk.format("GET", "/api/cases/repeats?lon=" .. p[1] .. "&lat=" .. p[2] .. "&category=" .. p[3] .. "&received_on=2025-06-30")
end
LUA
} >"$SCRATCH/repeats.lua"
found=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/api/cases/repeats?$(psql -qAt "$DB_URL" -c "SELECT format('lon=%s&lat=%s&category=%s', ST_X(geom), ST_Y(geom), category) FROM casework WHERE kind = 'petition' ORDER BY id LIMIT 1")&received_on=2025-06-30" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["candidates"]))')
wrk -t2 -c8 -d3s -s "$SCRATCH/repeats.lua" "http://127.0.0.1:$PORT" >/dev/null
out=$(wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --latency -s "$SCRATCH/repeats.lua" "http://127.0.0.1:$PORT")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
echo "| repeat check at a stored petition's place ($found candidates at the first), c$CONCURRENCY | $rps req/s | p50 $p50, p99 $p99 |"

# the case list with filters, against its own statement
cat >"$SCRATCH/case-list.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  local x = 116.4 + math.random() * 4.9
  local y = 30.8 + math.random() * 3.7
  return wrk.format("GET", string.format("/api/cases?kind=petition&status=handling&category=noise&bbox=%.4f,%.4f,%.4f,%.4f&limit=50", x, y, x + 0.5, y + 0.5))
end
LUA
wrk -t2 -c8 -d3s -s "$SCRATCH/case-list.lua" "http://127.0.0.1:$PORT" >/dev/null
out=$(wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --latency -s "$SCRATCH/case-list.lua" "http://127.0.0.1:$PORT")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
# the statement of db::cases::list for these filters, as the server sends it
cat >"$SCRATCH/case-list.sql" <<'SQL'
\set x random(1164000, 1213000)
\set y random(308000, 345000)
SELECT c.id, c.kind, c.code, c.received_on, c.source, c.category, c.title, c.description,
        ST_AsGeoJSON(c.geom, 7)::jsonb AS geometry, (c.point IS NULL AND c.geom IS NOT NULL) AS placed_by_site,
        c.site_id, s.code AS site_code, s.name AS site_name, c.address, c.town_code,
        (SELECT a.name FROM admin_area a WHERE a.code = c.town_code) AS town_name,
        c.responsible_unit, c.deadline, (c.status NOT IN ('resolved', 'closed') AND coalesce(c.deadline < (now() AT TIME ZONE 'Asia/Shanghai')::date, false)) AS overdue,
        c.severity, c.inspection, c.resolution,
        c.complainant_name, c.complainant_phone, c.status, c.repeat_of,
        (SELECT r.code FROM casework r WHERE r.id = c.repeat_of) AS repeat_of_code,
        (SELECT count(*) FROM casework r WHERE r.repeat_of = c.id) AS repeat_count,
        c.project_id, p.code AS project_code, p.name AS project_name,
        c.version, count(*) OVER () AS full_count, c.created_at, c.updated_at
    FROM casework c
    LEFT JOIN site s ON s.id = c.site_id
    LEFT JOIN project p ON p.id = c.project_id
 WHERE true AND c.kind = ANY('{petition}'::text[]) AND c.status = ANY('{handling}'::text[]) AND c.category = ANY('{noise}'::text[])
   AND ST_Intersects(c.geom, ST_MakeEnvelope(:x / 10000.0, :y / 10000.0, :x / 10000.0 + 0.5, :y / 10000.0 + 0.5, 4326))
 ORDER BY c.received_on DESC NULLS LAST, c.id LIMIT 50 OFFSET 0;
SQL
sql=$(pgbench -n -M prepared -c"$CONCURRENCY" -j2 -T"$SECONDS_PER_RUN" -r -f "$SCRATCH/case-list.sql" "$DB_URL" 2>/dev/null)
tps=$(awk '/^tps/ {print $3}' <<<"$sql")
ratio=$(python3 -c "print(round($rps / $tps, 2))")
echo "| case list: petitions in hand about noise in a random 0.5° box, 50 a page, c$CONCURRENCY | $rps req/s | p50 $p50, p99 $p99 | SQL under pgbench $tps tps | ours/SQL $ratio |"
