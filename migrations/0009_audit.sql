-- The audit: every write, whoever made it. Project, site and login writes already keep their own
-- append-only rows (project_event, site_event, login_attempt); audit_event holds the rest (users,
-- tokens, imports). GET /api/audit reads them together. Nothing in the application edits or
-- deletes any of them, and the database refuses it too.
CREATE TABLE audit_event (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint REFERENCES app_user (id),
    actor_name text NOT NULL,
    -- e.g. user.created, user.disabled, token.created, token.revoked, import
    action     text NOT NULL CONSTRAINT audit_event_action_format CHECK (action ~ '^[a-z_]+(\.[a-z_]+)*$'),
    target     text NOT NULL,
    details    jsonb NOT NULL DEFAULT '{}'
                   CONSTRAINT audit_event_details_object CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_event_at_idx ON audit_event (at);
CREATE INDEX audit_event_actor_idx ON audit_event (actor_name, at);

CREATE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit is append-only (%)', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER login_attempt_no_update BEFORE UPDATE OR DELETE ON login_attempt
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE INDEX login_attempt_at_idx ON login_attempt (at);
