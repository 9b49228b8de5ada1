-- Casework (DOMAIN.md §5): the ledgers' petitions, hidden dangers, inspection findings and
-- prominent problems as located cases with a lifecycle, deadlines and an append-only history.
-- The words of the CHECK lists are those of src/domain/casework.rs. The table is `casework`
-- because CASE is a reserved word.
CREATE TABLE casework (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text NOT NULL CONSTRAINT casework_kind_known CHECK (kind IN (
                         'petition', 'hidden_danger', 'inspection_finding', 'prominent_problem')),
    code             text NOT NULL CONSTRAINT casework_code_unique UNIQUE
                         CONSTRAINT casework_code_present CHECK (btrim(code) <> '' AND length(code) <= 64),
    received_on      date NOT NULL,
    source           text NOT NULL CONSTRAINT casework_source_known CHECK (source IN (
                         'letter', 'visit', 'hotline_12345', 'online', 'inspection', 'higher_authority')),
    category         text NOT NULL CONSTRAINT casework_category_known CHECK (category IN (
                         'air', 'water', 'noise', 'solid_waste', 'soil', 'other')),
    title            text NOT NULL CONSTRAINT casework_title_present CHECK (btrim(title) <> ''),
    description      text,
    -- the point the case was placed at, if any
    point            geometry(Point, 4326) CONSTRAINT casework_point_valid CHECK (tracker_geom_ok(point)),
    -- where the case is: its point, else a point on its site; kept by the triggers below, so
    -- that searches and the repeat check use one indexed column
    geom             geometry(Point, 4326),
    -- the history keeps the site's code: a deleted site leaves the case without a place link
    site_id          bigint REFERENCES site (id) ON DELETE SET NULL,
    address          text,
    town_code        text REFERENCES admin_area (code),
    responsible_unit text,
    deadline         date,
    severity         text CONSTRAINT casework_severity_known CHECK (severity IN ('major', 'general')),
    -- the inspection a finding came from, e.g. 2025年企业突发环境事件应急预案抽查
    inspection       text,
    resolution       text,
    complainant_name  text,
    complainant_phone text,
    status           text NOT NULL DEFAULT 'received' CONSTRAINT casework_status_known CHECK (status IN (
                         'received', 'assigned', 'handling', 'resolved', 'closed', 'reopened')),
    repeat_of        bigint REFERENCES casework (id) ON DELETE SET NULL,
    project_id       bigint REFERENCES project (id) ON DELETE SET NULL,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT casework_severity_of_dangers CHECK ((kind = 'hidden_danger') = (severity IS NOT NULL)),
    CONSTRAINT casework_resolved_with_resolution CHECK (
        status NOT IN ('resolved', 'closed') OR btrim(coalesce(resolution, '')) <> ''),
    CONSTRAINT casework_repeat_of_petitions CHECK (repeat_of IS NULL OR kind = 'petition'),
    CONSTRAINT casework_not_own_repeat CHECK (repeat_of <> id),
    CONSTRAINT casework_complainant_of_petitions CHECK (
        kind = 'petition' OR (complainant_name IS NULL AND complainant_phone IS NULL))
);
CREATE INDEX casework_kind_received_idx ON casework (kind, received_on);
CREATE INDEX casework_site_idx ON casework (site_id);
CREATE INDEX casework_project_idx ON casework (project_id);
CREATE INDEX casework_repeat_of_idx ON casework (repeat_of);
CREATE INDEX casework_town_idx ON casework (town_code);
-- the repeat check: earlier petitions of a category near a point, within days
CREATE INDEX casework_petition_geog_idx ON casework USING gist ((geom::geography))
    WHERE kind = 'petition';
CREATE INDEX casework_geom_idx ON casework USING gist (geom);

CREATE FUNCTION casework_place() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.geom := coalesce(NEW.point, (SELECT ST_PointOnSurface(s.geom) FROM site s WHERE s.id = NEW.site_id));
    RETURN NEW;
END
$$;
-- also run by the foreign key's SET NULL when the site is deleted
CREATE TRIGGER casework_place BEFORE INSERT OR UPDATE OF point, site_id ON casework
    FOR EACH ROW EXECUTE FUNCTION casework_place();

CREATE FUNCTION site_moves_its_cases() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE casework SET geom = ST_PointOnSurface(NEW.geom) WHERE site_id = NEW.id AND point IS NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER site_moves_its_cases AFTER UPDATE OF geom ON site
    FOR EACH ROW WHEN (OLD.geom IS DISTINCT FROM NEW.geom) EXECUTE FUNCTION site_moves_its_cases();

CREATE TABLE case_event (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES casework (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES app_user (id),
    actor_name  text NOT NULL,
    kind        text NOT NULL CONSTRAINT case_event_kind_known CHECK (kind IN ('created', 'status', 'edit')),
    from_status text CONSTRAINT case_event_from_status_known CHECK (from_status IN (
                    'received', 'assigned', 'handling', 'resolved', 'closed', 'reopened')),
    to_status   text CONSTRAINT case_event_to_status_known CHECK (to_status IN (
                    'received', 'assigned', 'handling', 'resolved', 'closed', 'reopened')),
    changes     jsonb,
    note        text
);
-- the report's status as of a date: each case's last status event up to then
CREATE INDEX case_event_case_at_idx ON case_event (case_id, at);
