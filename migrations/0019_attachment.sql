-- Evidence: photos and documents attached to a project, a site or a case. The row holds what is
-- known about the file; the bytes live in the attachment store (a directory or an S3 bucket)
-- under storage_key. A row is written only after its bytes are stored, so no row points at
-- missing bytes; bytes whose row never committed are orphans that `attachments gc` removes.
-- The parent is named by kind and id without a foreign key: evidence outlives a deleted parent
-- (it is never lost silently) and is purged only by an admin.
CREATE TABLE attachment (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_kind   text NOT NULL CONSTRAINT attachment_parent_kind CHECK (parent_kind IN ('project', 'site', 'case')),
    parent_id     bigint NOT NULL,
    title         text NOT NULL CONSTRAINT attachment_title_length CHECK (length(title) BETWEEN 1 AND 200),
    -- the name the file was uploaded under, for downloads
    file_name     text NOT NULL CONSTRAINT attachment_file_name_length CHECK (length(file_name) BETWEEN 1 AND 255),
    kind          text NOT NULL CONSTRAINT attachment_kind CHECK (kind IN ('photo', 'document', 'drawing', 'other')),
    stage         text CONSTRAINT attachment_stage CHECK (stage IN ('before', 'during', 'after')),
    -- sniffed from the bytes
    media_type    text NOT NULL,
    size_bytes    bigint NOT NULL CONSTRAINT attachment_size CHECK (size_bytes > 0),
    sha256        text NOT NULL CONSTRAINT attachment_sha256_format CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key   text NOT NULL CONSTRAINT attachment_storage_key_unique UNIQUE,
    staff_only    boolean NOT NULL DEFAULT false,
    -- from the photo's EXIF: where (WGS84, as phones record it) and when it was taken, and how
    -- it is to be turned (EXIF orientation 1-8)
    location      geometry(Point, 4326),
    taken_at      timestamptz,
    orientation   smallint CONSTRAINT attachment_orientation CHECK (orientation BETWEEN 1 AND 8),
    -- a 320 px JPEG, made after the upload; null until then, or for files that have none
    thumbnail_key text,
    uploaded_by   bigint REFERENCES app_user (id),
    uploaded_by_name text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now(),
    -- a soft delete by an admin: hidden everywhere, the bytes kept until a purge
    deleted_at    timestamptz,
    deleted_by_name text,
    purged_at     timestamptz,
    CONSTRAINT attachment_purged_after_delete CHECK (purged_at IS NULL OR deleted_at IS NOT NULL)
);
CREATE INDEX attachment_parent_idx ON attachment (parent_kind, parent_id) WHERE deleted_at IS NULL;
CREATE INDEX attachment_location_idx ON attachment USING gist (location) WHERE deleted_at IS NULL;

-- The geodesic distance in metres from where a photo was taken to what it is attached to: a
-- site's geometry, a case's place, or the nearest site a project is linked to. Computed when
-- read, so it follows a site that is redrawn.
CREATE FUNCTION attachment_distance_m(parent_kind text, parent_id bigint, location geometry)
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN location IS NULL THEN NULL
        WHEN parent_kind = 'site' THEN
            (SELECT ST_Distance(location::geography, s.geom::geography) FROM site s WHERE s.id = parent_id)
        WHEN parent_kind = 'case' THEN
            (SELECT ST_Distance(location::geography, c.geom::geography) FROM casework c WHERE c.id = parent_id)
        ELSE
            (SELECT min(ST_Distance(location::geography, s.geom::geography))
             FROM project_site ps JOIN site s ON s.id = ps.site_id WHERE ps.project_id = parent_id)
    END
$$;
