-- The half-year report is organised in sections (air, water, soil, safety, casework) and, in each,
-- one part per programme. What each part reports, in which order and in which words is data that
-- administrators edit, not code:
--
-- report_section: a section's title, its intro template (minijinja, in Chinese and English) and
--   the site inventory figures the intro uses, as [{"kind": …, "attr": …}] breakdowns.
-- programme_report: where a programme appears, the figures of its table as
--   [{"key": "path.in.context", "zh": label, "en": label}], the labels of its stages, and its
--   sentence templates.
CREATE TABLE report_section (
    code        text PRIMARY KEY CONSTRAINT report_section_code_format CHECK (code ~ '^[a-z_]{2,32}$'),
    position    integer NOT NULL,
    title_zh    text NOT NULL CONSTRAINT report_section_title_present CHECK (btrim(title_zh) <> ''),
    title_en    text NOT NULL,
    template_zh text NOT NULL DEFAULT '',
    template_en text NOT NULL DEFAULT '',
    inventory   jsonb NOT NULL DEFAULT '[]'
                    CONSTRAINT report_section_inventory_array CHECK (jsonb_typeof(inventory) = 'array'),
    -- projects without a programme (casework such as individual problem rectifications)
    -- are listed in the one section that claims them
    lists_unprogrammed boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX report_section_one_unprogrammed ON report_section (lists_unprogrammed)
    WHERE lists_unprogrammed;

CREATE TABLE programme_report (
    programme_id bigint PRIMARY KEY REFERENCES programme (id) ON DELETE CASCADE,
    section      text NOT NULL REFERENCES report_section (code),
    position     integer NOT NULL,
    figures      jsonb NOT NULL DEFAULT '[]'
                     CONSTRAINT programme_report_figures_array CHECK (jsonb_typeof(figures) = 'array'),
    stage_labels jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT programme_report_stage_labels_object CHECK (jsonb_typeof(stage_labels) = 'object'),
    template_zh  text NOT NULL DEFAULT '',
    template_en  text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX programme_report_section_idx ON programme_report (section, position);
