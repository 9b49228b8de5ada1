//! SQL of the import pipeline: a temporary staging table per import, the whole-file checks that
//! PostGIS answers best (validity, duplicates, references), and the final insert.
//!
//! The staging table is a temporary copy of the empty `public.import_stage` (migration 0014):
//! at run time the copy hides it, at compile time the checked macros describe it.

use crate::domain::InputCrs;
use crate::domain::import::{ImportOptions, ImportTarget, OnExisting, Rejection, StagedRow};
use sqlx::PgConnection;
use sqlx::types::Json;

pub async fn create(conn: &mut PgConnection) -> sqlx::Result<()> {
    drop(&mut *conn).await?;
    sqlx::query!(
        "CREATE TEMP TABLE import_stage (LIKE public.import_stage INCLUDING DEFAULTS INCLUDING INDEXES)
         ON COMMIT DROP"
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn drop(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("DROP TABLE IF EXISTS pg_temp.import_stage")
        .execute(conn)
        .await?;
    Ok(())
}

/// Stages a batch; projected input is transformed to WGS84 here, by PostGIS.
pub async fn insert_batch(
    conn: &mut PgConnection,
    rows: &[StagedRow],
    crs: InputCrs,
) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let srid = crs.postgis_srid().unwrap_or(4326);
    let mut idx = Vec::with_capacity(rows.len());
    let mut code = Vec::with_capacity(rows.len());
    let mut name = Vec::with_capacity(rows.len());
    let mut name_en = Vec::with_capacity(rows.len());
    let mut ref_code = Vec::with_capacity(rows.len());
    let mut flag = Vec::with_capacity(rows.len());
    let mut radius = Vec::with_capacity(rows.len());
    let mut level = Vec::with_capacity(rows.len());
    let mut source = Vec::with_capacity(rows.len());
    let mut attrs = Vec::with_capacity(rows.len());
    let mut wkb = Vec::with_capacity(rows.len());
    let mut place_code = Vec::with_capacity(rows.len());
    for r in rows {
        idx.push(i32::try_from(r.index).unwrap_or(i32::MAX));
        code.push(r.code.as_str());
        name.push(r.name.as_str());
        name_en.push(r.name_en.as_deref());
        ref_code.push(r.ref_code.as_deref());
        flag.push(r.flag);
        radius.push(r.radius_m);
        level.push(r.level.as_deref());
        source.push(r.source.as_deref());
        attrs.push(Json(&r.attrs));
        wkb.push((!r.wkb.is_empty()).then_some(r.wkb.as_slice()));
        place_code.push(r.place_code.as_deref());
    }
    sqlx::query!(
        "INSERT INTO import_stage (idx, code, name, name_en, ref_code, flag, radius_m, level, source, attrs, geom, place_code)
         SELECT i, c, n, ne, r, f, rad, lv, src, a, ST_Transform(ST_GeomFromWKB(w, $12), 4326), pc
         FROM UNNEST($1::int4[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[],
                     $7::float8[], $8::text[], $9::text[], $10::jsonb[], $11::bytea[], $13::text[])
              AS t(i, c, n, ne, r, f, rad, lv, src, a, w, pc)",
        &idx,
        &code as _,
        &name as _,
        &name_en as _,
        &ref_code as _,
        &flag,
        &radius as _,
        &level as _,
        &source as _,
        &attrs as _,
        &wkb as _,
        srid,
        &place_code as _
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A staged row and what it refers to: the stored kind its code clashes with, or the area code
/// it names that does not exist.
struct StagedRef {
    idx: i32,
    code: String,
    reference: String,
}

/// Whole-file checks. With `repair`, invalid geometries are made valid first; a repair that
/// turns the geometry into a type the kind does not accept is still a rejection.
pub async fn check(
    conn: &mut PgConnection,
    options: ImportOptions,
) -> sqlx::Result<Vec<Rejection>> {
    let mut rejections = Vec::new();
    let kind = match options.target {
        ImportTarget::Site(kind) => kind.as_str(),
        ImportTarget::AdminArea => "admin_area",
    };
    sqlx::query!(
        "UPDATE import_stage s SET geom = ST_PointOnSurface(t.geom)
         FROM site t WHERE s.place_code IS NOT NULL AND t.code = s.place_code"
    )
    .execute(&mut *conn)
    .await?;
    let unplaced = sqlx::query!(
        r#"SELECT idx, code, place_code AS "place_code!" FROM import_stage
           WHERE geom IS NULL AND place_code IS NOT NULL ORDER BY idx"#
    )
    .fetch_all(&mut *conn)
    .await?;
    rejections.extend(unplaced.into_iter().map(|row| Rejection {
        index: row.idx as usize,
        code: Some(row.code),
        reason: format!("no stored site has the code {}", row.place_code),
    }));
    if options.repair {
        // ST_MakeValid may return a collection; keep the parts of the dimension the kind uses.
        sqlx::query!(
            "UPDATE import_stage SET geom = CASE
                 WHEN $1 = 'admin_area' OR $1 = 'contaminated_plot' THEN ST_CollectionExtract(ST_MakeValid(geom), 3)
                 WHEN $1 = 'river' THEN ST_CollectionExtract(ST_MakeValid(geom), 2)
                 WHEN GeometryType(ST_MakeValid(geom)) = 'GEOMETRYCOLLECTION'
                     THEN ST_CollectionExtract(ST_MakeValid(geom), ST_Dimension(geom) + 1)
                 ELSE ST_MakeValid(geom) END
             WHERE NOT ST_IsValid(geom)",
            kind
        )
        .execute(&mut *conn)
        .await?;
    }
    let invalid = sqlx::query!(
        r#"SELECT idx, code, CASE
             WHEN NOT ST_IsValid(geom) THEN 'invalid geometry: ' || ST_IsValidReason(geom)
                 || CASE WHEN $2 THEN '' ELSE ' (use --repair to fix it with ST_MakeValid)' END
             WHEN ST_IsEmpty(geom) THEN 'empty geometry' || CASE WHEN $2 THEN ' after repair' ELSE '' END
             WHEN $1 <> 'admin_area' AND NOT site_kind_geometry_ok($1, geom)
                 THEN 'wrong geometry type for kind ' || $1 || ' after repair: ' || GeometryType(geom)
             WHEN $1 = 'admin_area' AND GeometryType(geom) NOT IN ('POLYGON', 'MULTIPOLYGON')
                 THEN 'wrong geometry type for admin_area after repair: ' || GeometryType(geom)
             WHEN NOT tracker_geom_ok(geom)
                 THEN 'coordinates fall outside the valid longitude/latitude range after transformation'
         END AS reason
         FROM import_stage
         WHERE NOT ST_IsValid(geom) OR ST_IsEmpty(geom) OR NOT tracker_geom_ok(geom)
            OR ($1 <> 'admin_area' AND NOT site_kind_geometry_ok($1, geom))
            OR ($1 = 'admin_area' AND GeometryType(geom) NOT IN ('POLYGON', 'MULTIPOLYGON'))
         ORDER BY idx"#,
        kind,
        options.repair
    )
    .fetch_all(&mut *conn)
    .await?;
    rejections.extend(invalid.into_iter().map(|row| Rejection {
        index: row.idx as usize,
        code: Some(row.code),
        reason: row.reason.unwrap_or_else(|| "invalid geometry".into()),
    }));

    let duplicates = sqlx::query!(
        r#"SELECT idx AS "idx!", code AS "code!", first_idx AS "first_idx!" FROM (
             SELECT idx, code, min(idx) OVER (PARTITION BY code) AS first_idx FROM import_stage
         ) d WHERE idx <> first_idx ORDER BY idx"#
    )
    .fetch_all(&mut *conn)
    .await?;
    rejections.extend(duplicates.into_iter().map(|row| Rejection {
        index: row.idx as usize,
        code: Some(row.code.clone()),
        reason: format!("duplicate code {}, also at {}", row.code, row.first_idx),
    }));

    let existing: Vec<StagedRef> = match options.target {
        ImportTarget::Site(_) => {
            sqlx::query_as!(
                StagedRef,
                r#"SELECT s.idx, s.code, t.kind AS reference
               FROM import_stage s JOIN site t ON t.code = s.code ORDER BY s.idx"#
            )
            .fetch_all(&mut *conn)
            .await?
        }
        ImportTarget::AdminArea => {
            sqlx::query_as!(
                StagedRef,
                r#"SELECT s.idx, s.code, 'admin_area' AS "reference!"
               FROM import_stage s JOIN admin_area t ON t.code = s.code ORDER BY s.idx"#
            )
            .fetch_all(&mut *conn)
            .await?
        }
    };
    match options.on_existing {
        OnExisting::Reject => rejections.extend(existing.into_iter().map(|row| Rejection {
            index: row.idx as usize,
            reason: format!(
                "code {} already exists (a stored {})",
                row.code, row.reference
            ),
            code: Some(row.code),
        })),
        OnExisting::Skip => {
            let skip: Vec<i32> = existing.iter().map(|row| row.idx).collect();
            sqlx::query!(
                "UPDATE import_stage SET skip = true WHERE idx = ANY($1)",
                &skip
            )
            .execute(&mut *conn)
            .await?;
        }
    }

    let unknown_refs: Vec<StagedRef> = match options.target {
        ImportTarget::Site(_) => sqlx::query_as!(
            StagedRef,
            r#"SELECT s.idx, s.code, s.ref_code AS "reference!" FROM import_stage s
               WHERE s.ref_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM admin_area a WHERE a.code = s.ref_code)
               ORDER BY s.idx"#
        )
        .fetch_all(&mut *conn)
        .await?,
        ImportTarget::AdminArea => sqlx::query_as!(
            StagedRef,
            r#"SELECT s.idx, s.code, s.ref_code AS "reference!" FROM import_stage s
               WHERE s.ref_code IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM admin_area a WHERE a.code = s.ref_code)
                 AND NOT EXISTS (SELECT 1 FROM import_stage p WHERE p.code = s.ref_code)
               ORDER BY s.idx"#
        )
        .fetch_all(&mut *conn)
        .await?,
    };
    let ref_name = match options.target {
        ImportTarget::Site(_) => "town_code",
        ImportTarget::AdminArea => "parent_code",
    };
    rejections.extend(unknown_refs.into_iter().map(|row| Rejection {
        index: row.idx as usize,
        code: Some(row.code),
        reason: format!(
            "unknown {ref_name} {}: no such administrative area",
            row.reference
        ),
    }));
    Ok(rejections)
}

/// Moves the staged rows into their table; returns (inserted, skipped).
pub async fn commit_into_target(
    conn: &mut PgConnection,
    options: ImportOptions,
) -> sqlx::Result<(u64, u64)> {
    let skipped =
        sqlx::query_scalar!(r#"SELECT count(*) AS "skipped!" FROM import_stage WHERE skip"#)
            .fetch_one(&mut *conn)
            .await?;
    let inserted = match options.target {
        // A site without a town gets the town its representative point lies in.
        ImportTarget::Site(kind) => sqlx::query!(
            "INSERT INTO site (kind, code, name, name_en, town_code, placeholder, attrs, geom, radius_m)
             SELECT $1, s.code, s.name, s.name_en,
                    coalesce(s.ref_code, (SELECT a.code FROM admin_area a
                                          WHERE a.level = 'town' AND ST_Intersects(a.geom, ST_PointOnSurface(s.geom))
                                          ORDER BY a.code LIMIT 1)),
                    s.flag, s.attrs, s.geom,
                    CASE WHEN $1 = 'key_zone' THEN coalesce(s.radius_m, 3000) END
             FROM import_stage s WHERE NOT s.skip ORDER BY s.idx",
            kind.as_str()
        )
        .execute(&mut *conn)
        .await?
        .rows_affected(),
        // parents first, so a file may hold a district and its towns
        ImportTarget::AdminArea => sqlx::query!(
            "INSERT INTO admin_area (code, name, name_en, level, parent_code, approximate, source, geom)
             SELECT s.code, s.name, s.name_en, s.level, s.ref_code, s.flag, s.source, ST_Multi(s.geom)
             FROM import_stage s WHERE NOT s.skip
             ORDER BY array_position(ARRAY['province', 'city', 'district', 'town'], s.level), s.idx"
        )
        .execute(&mut *conn)
        .await?
        .rows_affected(),
    };
    Ok((inserted, skipped as u64))
}
