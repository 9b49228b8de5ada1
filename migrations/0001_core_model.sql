-- The whole data model of the tracker (DESIGN.md §3).
-- The database itself refuses invalid data: every rule that a value must obey on its own is a
-- named CHECK here, so that the application can translate a violation into a message that names it.

CREATE EXTENSION IF NOT EXISTS postgis;

-- A geometry the tracker accepts: valid, non-empty, WGS84 lon/lat within range.
-- The SRID is enforced by the typed columns (geometry(…, 4326)).
CREATE FUNCTION tracker_geom_ok(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT NOT ST_IsEmpty(g)
       AND ST_IsValid(g)
       AND ST_XMin(g) >= -180 AND ST_XMax(g) <= 180
       AND ST_YMin(g) >= -90 AND ST_YMax(g) <= 90
$$;

------------------------------------------------------------------------------------------------
-- Administrative areas: the district and its streets/towns (属地板块).
CREATE TABLE admin_area (
    code        text PRIMARY KEY CONSTRAINT admin_area_code_format CHECK (code ~ '^[0-9]{6,12}$'),
    name        text NOT NULL CONSTRAINT admin_area_name_present CHECK (btrim(name) <> ''),
    name_en     text,
    level       text NOT NULL CONSTRAINT admin_area_level_known
                    CHECK (level IN ('province', 'city', 'district', 'town')),
    parent_code text REFERENCES admin_area (code),
    approximate boolean NOT NULL DEFAULT false,
    source      text,
    geom        geometry(MultiPolygon, 4326) NOT NULL
                    CONSTRAINT admin_area_geom_valid CHECK (tracker_geom_ok(geom))
);
CREATE INDEX admin_area_geom_idx ON admin_area USING gist (geom);
CREATE INDEX admin_area_parent_idx ON admin_area (parent_code);

------------------------------------------------------------------------------------------------
-- Sites: every mapped thing. Kind-specific attributes live in `attrs`, validated per kind by the
-- application (docs/site-kinds.md); the geometry type per kind is enforced here.
CREATE FUNCTION site_kind_geometry_ok(kind text, g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE kind
        WHEN 'river'              THEN GeometryType(g) IN ('LINESTRING', 'MULTILINESTRING')
        WHEN 'black_odor_water'   THEN GeometryType(g) IN ('LINESTRING', 'MULTILINESTRING', 'POLYGON', 'MULTIPOLYGON')
        WHEN 'contaminated_plot'  THEN GeometryType(g) IN ('POLYGON', 'MULTIPOLYGON')
        WHEN 'key_zone'           THEN GeometryType(g) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')
        WHEN 'monitoring_section' THEN GeometryType(g) = 'POINT'
        WHEN 'outfall'            THEN GeometryType(g) = 'POINT'
        WHEN 'enterprise'         THEN GeometryType(g) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')
        WHEN 'facility'           THEN GeometryType(g) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')
        ELSE true -- an unknown kind is refused by site_kind_known, with its own message
    END
$$;

CREATE TABLE site (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CONSTRAINT site_kind_known CHECK (kind IN (
                    'river', 'black_odor_water', 'contaminated_plot', 'key_zone',
                    'monitoring_section', 'outfall', 'enterprise', 'facility')),
    code        text NOT NULL CONSTRAINT site_code_present CHECK (btrim(code) <> ''),
    name        text NOT NULL CONSTRAINT site_name_present CHECK (btrim(name) <> ''),
    name_en     text,
    town_code   text REFERENCES admin_area (code),
    placeholder boolean NOT NULL DEFAULT false,
    attrs       jsonb NOT NULL DEFAULT '{}'
                    CONSTRAINT site_attrs_object CHECK (jsonb_typeof(attrs) = 'object'),
    geom        geometry(Geometry, 4326) NOT NULL
                    CONSTRAINT site_geom_valid CHECK (tracker_geom_ok(geom)),
    -- key zones only: the buffer radius and the zone polygon derived from it (trigger below)
    radius_m    double precision,
    zone_geom   geometry(Polygon, 4326),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT site_code_unique UNIQUE (code),
    CONSTRAINT site_geom_type_for_kind CHECK (site_kind_geometry_ok(kind, geom)),
    CONSTRAINT site_radius_only_key_zone CHECK ((kind = 'key_zone') = (radius_m IS NOT NULL)),
    CONSTRAINT site_radius_range CHECK (radius_m IS NULL OR (radius_m >= 1 AND radius_m <= 50000))
);
CREATE INDEX site_geom_idx ON site USING gist (geom);
-- distance queries in metres run on geography; a plain GiST on geom is not used for them
CREATE INDEX site_geog_idx ON site USING gist ((geom::geography));
CREATE INDEX site_zone_geom_idx ON site USING gist (zone_geom) WHERE zone_geom IS NOT NULL;
CREATE INDEX site_kind_idx ON site (kind);
CREATE INDEX site_town_idx ON site (town_code);
CREATE INDEX site_updated_idx ON site (updated_at);

-- A key zone's polygon is a geodesic buffer of its centre, kept in step with centre and radius.
CREATE FUNCTION site_key_zone_polygon() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'key_zone' THEN
        NEW.radius_m := coalesce(NEW.radius_m, 3000);
        -- 32 segments per quarter circle keeps the area within 0.05 % of a true circle
        NEW.zone_geom := ST_Buffer(NEW.geom::geography, NEW.radius_m, 'quad_segs=32')::geometry;
        IF GeometryType(NEW.zone_geom) <> 'POLYGON' THEN
            NEW.zone_geom := ST_GeometryN(ST_Multi(NEW.zone_geom), 1);
        END IF;
    ELSE
        NEW.zone_geom := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER site_key_zone_insert BEFORE INSERT ON site
    FOR EACH ROW EXECUTE FUNCTION site_key_zone_polygon();
CREATE TRIGGER site_key_zone_update BEFORE UPDATE OF geom, radius_m, kind ON site
    FOR EACH ROW EXECUTE FUNCTION site_key_zone_polygon();

------------------------------------------------------------------------------------------------
-- Programmes: named task lists with targets.
CREATE TABLE programme (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                   text NOT NULL CONSTRAINT programme_code_unique UNIQUE
                               CONSTRAINT programme_code_present CHECK (btrim(code) <> ''),
    name                   text NOT NULL CONSTRAINT programme_name_present CHECK (btrim(name) <> ''),
    name_en                text,
    year                   integer CONSTRAINT programme_year_range CHECK (year BETWEEN 1990 AND 2100),
    category               text NOT NULL CONSTRAINT programme_category_known
                               CHECK (category IN ('air', 'water', 'soil', 'ecology', 'safety')),
    target_count           integer CONSTRAINT programme_target_count_range CHECK (target_count >= 0),
    target_start_rate      numeric(5, 4) CONSTRAINT programme_start_rate_range
                               CHECK (target_start_rate BETWEEN 0 AND 1),
    target_completion_rate numeric(5, 4) CONSTRAINT programme_completion_rate_range
                               CHECK (target_completion_rate BETWEEN 0 AND 1),
    deadline               date,
    description            text,
    created_at             timestamptz NOT NULL DEFAULT now()
);

------------------------------------------------------------------------------------------------
-- Projects and their lifecycle (planned → preparing → in_progress → completed → accepted;
-- suspended with a reason; cancelled). Allowed transitions are enforced by the application and
-- recorded in project_event; the states themselves are enforced here.
CREATE TABLE project (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code             text NOT NULL CONSTRAINT project_code_unique UNIQUE
                         CONSTRAINT project_code_present CHECK (btrim(code) <> ''),
    name             text NOT NULL CONSTRAINT project_name_present CHECK (btrim(name) <> ''),
    name_en          text,
    category         text NOT NULL CONSTRAINT project_category_known
                         CHECK (category IN ('air', 'water', 'soil', 'ecology', 'safety')),
    programme_id     bigint REFERENCES programme (id),
    status           text NOT NULL CONSTRAINT project_status_known CHECK (status IN (
                         'planned', 'preparing', 'in_progress', 'completed', 'accepted',
                         'suspended', 'cancelled')),
    stage            text,
    status_reason    text,
    progress         smallint NOT NULL DEFAULT 0
                         CONSTRAINT project_progress_range CHECK (progress BETWEEN 0 AND 100),
    responsible_unit text,
    town_code        text REFERENCES admin_area (code),
    funding_source   text,
    funding_amount   numeric(14, 2) CONSTRAINT project_funding_nonnegative CHECK (funding_amount >= 0),
    planned_start    date,
    planned_end      date,
    actual_start     date,
    actual_end       date,
    description      text,
    placeholder      boolean NOT NULL DEFAULT false,
    attrs            jsonb NOT NULL DEFAULT '{}'
                         CONSTRAINT project_attrs_object CHECK (jsonb_typeof(attrs) = 'object'),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_suspension_reason CHECK (
        status <> 'suspended' OR (status_reason IS NOT NULL AND btrim(status_reason) <> '')),
    CONSTRAINT project_planned_dates_order CHECK (planned_end IS NULL OR planned_start IS NULL
                                                  OR planned_end >= planned_start),
    CONSTRAINT project_actual_dates_order CHECK (actual_end IS NULL OR actual_start IS NULL
                                                 OR actual_end >= actual_start)
);
CREATE INDEX project_programme_idx ON project (programme_id);
CREATE INDEX project_status_idx ON project (status);
CREATE INDEX project_category_idx ON project (category);
CREATE INDEX project_town_idx ON project (town_code);
CREATE INDEX project_updated_idx ON project (updated_at);

-- A site's remediation state, derived from the statuses of its linked projects:
-- none (no live project), in_progress (any project not yet finished), suspended (the rest
-- include a suspended one), done (every live project completed or accepted).
CREATE FUNCTION remediation_state(statuses text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN coalesce(cardinality(array_remove(statuses, 'cancelled')), 0) = 0 THEN 'none'
        WHEN statuses && ARRAY['planned', 'preparing', 'in_progress'] THEN 'in_progress'
        WHEN 'suspended' = ANY (statuses) THEN 'suspended'
        ELSE 'done'
    END
$$;

-- Many-to-many: the places a project treats.
CREATE TABLE project_site (
    project_id bigint NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    site_id    bigint NOT NULL REFERENCES site (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, site_id)
);
CREATE INDEX project_site_site_idx ON project_site (site_id);

------------------------------------------------------------------------------------------------
-- Users and roles; sessions and personal API tokens store only hashes.
CREATE TABLE app_user (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL CONSTRAINT app_user_username_unique UNIQUE
                      CONSTRAINT app_user_username_format CHECK (username ~ '^[A-Za-z0-9_.-]{2,64}$'),
    display_name  text,
    password_hash text NOT NULL,
    role          text NOT NULL CONSTRAINT app_user_role_known
                      CHECK (role IN ('viewer', 'editor', 'admin')),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_session (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX user_session_user_idx ON user_session (user_id);

CREATE TABLE api_token (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    name         text NOT NULL CONSTRAINT api_token_name_present CHECK (btrim(name) <> ''),
    token_hash   bytea NOT NULL CONSTRAINT api_token_hash_unique UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_token_user_idx ON api_token (user_id);

------------------------------------------------------------------------------------------------
-- Append-only project history (a project with history cannot be deleted; cancel it), written in the same transaction as the change it records.
-- `snapshot` holds the project's full state after a 'created' event, so that the state as of
-- any date can be rebuilt by replaying events.
CREATE TABLE project_event (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES project (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES app_user (id),
    actor_name  text NOT NULL,
    kind        text NOT NULL CONSTRAINT project_event_kind_known CHECK (kind IN (
                    'created', 'status', 'progress', 'edit', 'link', 'unlink')),
    from_status text CONSTRAINT project_event_from_status_known CHECK (from_status IN (
                    'planned', 'preparing', 'in_progress', 'completed', 'accepted',
                    'suspended', 'cancelled')),
    to_status   text CONSTRAINT project_event_to_status_known CHECK (to_status IN (
                    'planned', 'preparing', 'in_progress', 'completed', 'accepted',
                    'suspended', 'cancelled')),
    -- no foreign key: the history outlives a deleted site; `changes` keeps its code and name
    site_id     bigint,
    changes     jsonb,
    note        text,
    CONSTRAINT project_event_status_has_target CHECK (kind <> 'status' OR to_status IS NOT NULL)
);
CREATE INDEX project_event_project_idx ON project_event (project_id, at);
CREATE INDEX project_event_at_idx ON project_event (at);
CREATE INDEX project_event_site_idx ON project_event (site_id);
CREATE INDEX project_event_actor_idx ON project_event (actor_id);

-- History is append-only: no update or delete, whatever the client.
CREATE FUNCTION project_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'project history is append-only' USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER project_event_no_update BEFORE UPDATE OR DELETE ON project_event
    FOR EACH ROW EXECUTE FUNCTION project_event_append_only();
