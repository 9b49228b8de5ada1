#!/usr/bin/env bash
# Point-in-time report benchmark (issue 7): the half-year report over 100,000 projects and
# 1,000,000 history events, as of a date in the middle of the history (so the replay both applies
# and undoes events), in every format, with the release binary.
#
#   bench/report_bench.sh        (needs rt_bench from bench/dataset.sh; rewrites its history)
#
# The history is regenerated deterministically: per project one `created` event with a snapshot
# and nine more (two transitions, five progress updates, two stage edits) spread over 2025-01 to
# 2026-06. Prints one markdown row per run: format, as-of date, wall time, peak RSS, output size.
# Do not run it while a cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
BENCH_URL="${BASE%/*}/rt_bench"
BIN=target/release/remediation-tracker
SCRATCH=bench/.scratch
mkdir -p "$SCRATCH"
cargo build --release --locked --quiet
DATABASE_URL=$BENCH_URL "$BIN" migrate 2>/dev/null

psql -v ON_ERROR_STOP=1 -q "$BENCH_URL" <<'SQL'
-- history is append-only for the application; a benchmark may start it afresh
TRUNCATE project_event;
INSERT INTO project_event (project_id, at, actor_name, kind, to_status, changes, note)
SELECT p.id, timestamptz '2025-01-01 09:00+08' + (p.id % 60) * interval '1 day', 'bench', 'created', 'planned',
       jsonb_build_object('snapshot', jsonb_build_object(
           'code', p.code, 'name', p.name, 'category', p.category, 'programme', g.code,
           'status', 'planned', 'stage', 'survey', 'progress', 0, 'planned_end', p.planned_end,
           'attrs', jsonb_build_object('provincial_list', p.id % 7 = 0))),
       'generated'
FROM project p LEFT JOIN programme g ON g.id = p.programme_id;
-- step k of 9: days after creation grow with k, so a mid-2025 cut-off falls inside most histories
INSERT INTO project_event (project_id, at, actor_name, kind, from_status, to_status, changes, note)
SELECT p.id,
       timestamptz '2025-01-01 09:00+08' + (p.id % 60 + k * (20 + p.id % 40)) * interval '1 day',
       'bench',
       CASE WHEN k IN (2, 6) THEN 'status' WHEN k IN (4, 8) THEN 'edit' ELSE 'progress' END,
       CASE k WHEN 2 THEN 'planned' WHEN 6 THEN 'preparing' END,
       CASE k WHEN 2 THEN 'preparing' WHEN 6 THEN 'in_progress' END,
       CASE WHEN k IN (4, 8) THEN jsonb_build_object('stage', jsonb_build_object(
                'before', CASE k WHEN 4 THEN 'survey' ELSE 'design' END,
                'after', CASE k WHEN 4 THEN 'design' ELSE 'works' END))
            WHEN k IN (2, 6) THEN NULL
            ELSE jsonb_build_object('progress', jsonb_build_object('before', (k - 1) * 10, 'after', k * 10)) END,
       'step ' || k
FROM project p, generate_series(1, 9) k;
INSERT INTO report_section (code, position, title_zh, title_en, template_zh, template_en, inventory)
VALUES ('water', 20, '碧水保卫战（水）', 'Water',
        '在册企业{{ inventory.enterprise.count }}家,污染地块{{ inventory.contaminated_plot.count }}块。',
        '{{ inventory.enterprise.count }} firms, {{ inventory.contaminated_plot.count }} plots.',
        '[{"kind": "enterprise", "attr": "sectors"}, {"kind": "contaminated_plot", "attr": "priority_list"}]')
ON CONFLICT (code) DO NOTHING;
INSERT INTO programme_report (programme_id, section, position, figures, stage_labels, template_zh, template_en)
SELECT g.id, 'water', row_number() OVER (ORDER BY g.code),
       '[{"key": "total", "zh": "项目（个）", "en": "Projects"}, {"key": "started", "zh": "已开工（个）", "en": "Started"},
         {"key": "start_rate", "zh": "开工率（%）", "en": "Start rate (%)"}, {"key": "flags.provincial_list.count", "zh": "省清单（个）", "en": "Provincial"},
         {"key": "stage.works.count", "zh": "施工（个）", "en": "Works"}]',
       '{"survey": {"zh": "排查", "en": "survey"}, "design": {"zh": "设计", "en": "design"}, "works": {"zh": "施工", "en": "works"}}',
       '{{ programme.name }}共{{ total }}个项目,其中{{ flags.provincial_list.count or 0 }}个纳入省清单;已开工{{ started }}个,开工率{{ start_rate or 0 }}%{% if programme.target_start_rate %},目标{{ programme.target_start_rate }}%,{% if start_target_met %}已达标{% else %}未达标{% endif %}{% endif %}。',
       '{{ total }} projects, {{ started }} started ({{ start_rate or 0 }}%).'
FROM programme g WHERE g.code LIKE 'BENCH-%'
ON CONFLICT (programme_id) DO NOTHING;
VACUUM ANALYZE project_event;
SQL
psql -qAt "$BENCH_URL" -c "SELECT 'projects: ' || count(*) FROM project" -c "SELECT 'events: ' || count(*) FROM project_event" -c "SELECT 'links: ' || count(*) FROM project_site" -c "SELECT 'sites: ' || count(*) FROM site"

echo "| format | as of | since | wall s | peak RSS MB | output MB |"
echo "|---|---|---|---|---|---|"
run() { # format as_of [since]
    local out="$SCRATCH/report-$2.$1" args=(report --format "$1" --as-of "$2" --out "$SCRATCH/report-$2.$1")
    [ -n "${3:-}" ] && args+=(--since "$3")
    DATABASE_URL=$BENCH_URL /usr/bin/time -f '%e %M' -o "$SCRATCH/report.time" "$BIN" "${args[@]}" 2>/dev/null
    read -r wall rss <"$SCRATCH/report.time"
    printf '| %s | %s | %s | %s | %.0f | %.1f |\n' "$1" "$2" "${3:--}" "$wall" "$((rss / 1024))" "$(echo "$(stat -c %s "$out") / 1048576" | bc -l)"
}
run json 2025-06-30
run md 2025-06-30
run md 2025-06-30 2025-03-31
run xlsx 2025-06-30
run csv 2025-06-30
run md "$(date +%F)"
