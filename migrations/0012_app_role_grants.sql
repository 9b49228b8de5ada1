-- The server runs as a role that owns nothing: it reads and writes rows and uses the sequences
-- behind identity columns, and cannot change the schema (PostgreSQL 15 no longer lets PUBLIC
-- create in the public schema). The owner grants those rights after migrating, with
-- `migrate --grant-to ROLE` or `serve` given MIGRATE_DATABASE_URL; the role name is quoted by
-- format('%I'), as GRANT takes no bound parameters. The migrations' own table stays the owner's.
CREATE FUNCTION grant_app_role(app_role name) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app_role);
    IF to_regclass('public._sqlx_migrations') IS NOT NULL THEN
        EXECUTE format('REVOKE ALL ON TABLE public._sqlx_migrations FROM %I', app_role);
    END IF;
END
$$;
