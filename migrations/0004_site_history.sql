-- Sites have a history like projects: who created, edited or deleted each one and when, with
-- the changed fields as {"field": {"before": …, "after": …}} (the geometry as GeoJSON). Written
-- in the same transaction as the change, append-only, and kept after the site is deleted.
CREATE TABLE site_event (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- no foreign key: the history outlives a deleted site
    site_id     bigint NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES app_user (id),
    actor_name  text NOT NULL,
    kind        text NOT NULL CONSTRAINT site_event_kind_known CHECK (kind IN ('created', 'edited', 'deleted')),
    changes     jsonb NOT NULL CONSTRAINT site_event_changes_object CHECK (jsonb_typeof(changes) = 'object'),
    note        text
);
CREATE INDEX site_event_site_idx ON site_event (site_id, at);
CREATE INDEX site_event_at_idx ON site_event (at);
CREATE INDEX site_event_actor_idx ON site_event (actor_id);

CREATE FUNCTION site_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'site history is append-only' USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER site_event_no_update BEFORE UPDATE OR DELETE ON site_event
    FOR EACH ROW EXECUTE FUNCTION site_event_append_only();
