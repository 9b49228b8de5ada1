//! The schema itself refuses bad data, whatever client writes it.

use sqlx::PgPool;

async fn constraint_of(pool: &PgPool, sql: &str) -> String {
    let err = sqlx::query(sql)
        .execute(pool)
        .await
        .expect_err("the database must refuse this row");
    match err.as_database_error() {
        Some(db) => db
            .constraint()
            .map(str::to_string)
            .unwrap_or_else(|| db.message().to_string()),
        None => panic!("unexpected error {err}"),
    }
}

#[sqlx::test]
async fn migrations_create_the_whole_model(pool: PgPool) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
         AND table_name NOT IN ('spatial_ref_sys', '_sqlx_migrations') ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "admin_area",
            "alert",
            "alert_delivery",
            "alert_outbox",
            "api_token",
            "app_user",
            "attachment",
            "audit_event",
            "case_event",
            "casework",
            "import_stage",
            "login_attempt",
            "login_throttle",
            "parameter",
            "programme",
            "programme_report",
            "project",
            "project_event",
            "project_site",
            "report_section",
            "sample",
            "sample_batch",
            "sample_month",
            "sample_stage",
            "site",
            "site_event",
            "user_session"
        ]
    );
    let postgis: String = sqlx::query_scalar("SELECT postgis_lib_version()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        postgis.starts_with('3'),
        "PostGIS 3 expected, found {postgis}"
    );
    let srid: i32 = sqlx::query_scalar("SELECT Find_SRID('public', 'site', 'geom')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(srid, 4326);
}

#[sqlx::test]
async fn site_geometry_rules(pool: PgPool) {
    let insert = |geom: &str| {
        format!(
            "INSERT INTO site (kind, code, name, attrs, geom) VALUES ('contaminated_plot', 'CP-1', 'plot', '{{}}', {geom})"
        )
    };
    // a bow-tie ring crosses itself
    assert_eq!(
        constraint_of(&pool, &insert("ST_GeomFromText('POLYGON((119.9 31.8, 119.91 31.81, 119.91 31.8, 119.9 31.81, 119.9 31.8))', 4326)")).await,
        "site_geom_valid"
    );
    assert_eq!(
        constraint_of(&pool, &insert("ST_GeomFromText('POLYGON EMPTY', 4326)")).await,
        "site_geom_valid"
    );
    assert_eq!(
        constraint_of(
            &pool,
            &insert(
                "ST_GeomFromText('POLYGON((200 31.8, 200.01 31.8, 200.01 31.81, 200 31.8))', 4326)"
            )
        )
        .await,
        "site_geom_valid"
    );
    let wrong_srid = constraint_of(
        &pool,
        &insert(
            "ST_GeomFromText('POLYGON((119.9 31.8, 119.91 31.8, 119.91 31.81, 119.9 31.8))', 3857)",
        ),
    )
    .await;
    assert!(wrong_srid.contains("SRID"), "{wrong_srid}");
    assert_eq!(
        constraint_of(&pool, "INSERT INTO site (kind, code, name, geom) VALUES ('contaminated_plot', 'CP-2', 'plot', ST_SetSRID(ST_MakePoint(119.9, 31.8), 4326))").await,
        "site_geom_type_for_kind"
    );
    assert_eq!(
        constraint_of(&pool, "INSERT INTO site (kind, code, name, geom) VALUES ('lake', 'L-1', 'lake', ST_SetSRID(ST_MakePoint(119.9, 31.8), 4326))").await,
        "site_kind_known"
    );
    sqlx::query("INSERT INTO site (kind, code, name, geom) VALUES ('outfall', 'OF-1', 'a', ST_SetSRID(ST_MakePoint(119.9, 31.8), 4326))")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        constraint_of(&pool, "INSERT INTO site (kind, code, name, geom) VALUES ('enterprise', 'OF-1', 'b', ST_SetSRID(ST_MakePoint(119.9, 31.8), 4326))").await,
        "site_code_unique"
    );
    assert_eq!(
        constraint_of(&pool, "INSERT INTO site (kind, code, name, geom, radius_m) VALUES ('outfall', 'OF-2', 'c', ST_SetSRID(ST_MakePoint(119.9, 31.8), 4326), 100)").await,
        "site_radius_only_key_zone"
    );
}

#[sqlx::test]
async fn project_rules(pool: PgPool) {
    assert_eq!(
        constraint_of(&pool, "INSERT INTO project (code, name, category, status) VALUES ('P-1', 'p', 'water', 'done')").await,
        "project_status_known"
    );
    assert_eq!(
        constraint_of(&pool, "INSERT INTO project (code, name, category, status) VALUES ('P-1', 'p', 'noise', 'planned')").await,
        "project_category_known"
    );
    assert_eq!(
        constraint_of(&pool, "INSERT INTO project (code, name, category, status) VALUES ('P-1', 'p', 'water', 'suspended')").await,
        "project_suspension_reason"
    );
    assert_eq!(
        constraint_of(&pool, "INSERT INTO project (code, name, category, status, progress) VALUES ('P-1', 'p', 'water', 'planned', 101)").await,
        "project_progress_range"
    );
    sqlx::query("INSERT INTO project (code, name, category, status) VALUES ('P-1', 'p', 'water', 'planned')").execute(&pool).await.unwrap();
    assert_eq!(
        constraint_of(&pool, "INSERT INTO project (code, name, category, status) VALUES ('P-1', 'q', 'water', 'planned')").await,
        "project_code_unique"
    );
    sqlx::query("INSERT INTO project_event (project_id, actor_name, kind, to_status) SELECT id, 't', 'created', 'planned' FROM project")
        .execute(&pool)
        .await
        .unwrap();
    let err = sqlx::query("UPDATE project_event SET note = 'rewritten'")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = sqlx::query("DELETE FROM project_event")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[sqlx::test]
async fn key_zone_polygon_follows_centre_and_radius(pool: PgPool) {
    let (radius, area): (f64, f64) = sqlx::query_as(
        "INSERT INTO site (kind, code, name, geom) VALUES ('key_zone', 'KZ-1', 'zone', ST_SetSRID(ST_MakePoint(119.93, 31.79), 4326))
         RETURNING radius_m, ST_Area(zone_geom::geography)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(radius, 3000.0);
    let circle = std::f64::consts::PI * 3000.0 * 3000.0;
    assert!(
        (area / circle - 1.0).abs() < 0.01,
        "zone area {area} m² vs π·3000² = {circle}"
    );

    let area: f64 = sqlx::query_scalar("UPDATE site SET radius_m = 1000 WHERE code = 'KZ-1' RETURNING ST_Area(zone_geom::geography)")
        .fetch_one(&pool)
        .await
        .unwrap();
    let circle = std::f64::consts::PI * 1000.0 * 1000.0;
    assert!(
        (area / circle - 1.0).abs() < 0.01,
        "zone area {area} m² vs π·1000² = {circle}"
    );

    // moving the centre 0.1° east moves the zone with it
    let moved: f64 = sqlx::query_scalar(
        "UPDATE site SET geom = ST_SetSRID(ST_MakePoint(120.03, 31.79), 4326) WHERE code = 'KZ-1'
         RETURNING ST_Distance(ST_Centroid(zone_geom)::geography, geom::geography)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(moved < 5.0, "zone centre is {moved} m from the new centre");
    assert_eq!(
        constraint_of(
            &pool,
            "UPDATE site SET radius_m = 60000 WHERE code = 'KZ-1'"
        )
        .await,
        "site_radius_range"
    );
}

#[sqlx::test]
async fn remediation_state_is_derived_from_project_statuses(pool: PgPool) {
    let cases: [(&str, &str); 7] = [
        ("NULL", "none"),
        ("ARRAY['cancelled']", "none"),
        ("ARRAY['planned', 'completed']", "in_progress"),
        ("ARRAY['in_progress']", "in_progress"),
        ("ARRAY['suspended', 'accepted']", "suspended"),
        ("ARRAY['completed', 'accepted', 'cancelled']", "done"),
        ("ARRAY['suspended', 'preparing']", "in_progress"),
    ];
    for (statuses, expected) in cases {
        let state: String =
            sqlx::query_scalar(&format!("SELECT remediation_state({statuses}::text[])"))
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(state, expected, "{statuses}");
    }
}

#[sqlx::test]
async fn stored_remediation_state_follows_links_and_statuses(pool: PgPool) {
    let state = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>("SELECT remediation_state FROM site WHERE code = 'OF-1'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    sqlx::raw_sql(
        "INSERT INTO site (kind, code, name, geom) VALUES ('outfall', 'OF-1', 'a', ST_SetSRID(ST_MakePoint(119.9, 31.8), 4326));
         INSERT INTO project (code, name, category, status) VALUES ('P-1', 'p', 'water', 'in_progress'), ('P-2', 'q', 'water', 'accepted');",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(state(pool.clone()).await, "none");
    sqlx::query("INSERT INTO project_site SELECT p.id, s.id FROM project p, site s")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(state(pool.clone()).await, "in_progress");
    sqlx::query("UPDATE project SET status = 'completed' WHERE code = 'P-1'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(state(pool.clone()).await, "done");
    sqlx::query(
        "UPDATE project SET status = 'suspended', status_reason = '待资金' WHERE code = 'P-2'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(state(pool.clone()).await, "suspended");
    sqlx::query(
        "DELETE FROM project_site WHERE project_id = (SELECT id FROM project WHERE code = 'P-2')",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(state(pool.clone()).await, "done");
    sqlx::query("DELETE FROM project_site")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(state(pool.clone()).await, "none");
}

#[sqlx::test]
async fn the_staging_templates_refuse_rows_and_their_temporary_copies_take_them(pool: PgPool) {
    let stray = "INSERT INTO import_stage (idx, code, name, flag, attrs, geom)
                 VALUES (0, 'X', 'x', false, '{}', ST_MakePoint(119.9, 31.8))";
    assert_eq!(
        constraint_of(&pool, stray).await,
        "import_stage_is_only_a_template"
    );
    let mut tx = pool.begin().await.unwrap();
    remediation_tracker::db::import_stage::create(&mut tx)
        .await
        .unwrap();
    sqlx::query(stray).execute(&mut *tx).await.unwrap();
    let staged: i64 = sqlx::query_scalar("SELECT count(*) FROM import_stage")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(staged, 1);
    tx.commit().await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM public.import_stage")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    let stray = "INSERT INTO sample_stage (row_number, column_number, site_id, sampled_at, parameter, below_detection)
                 VALUES (2, 3, 1, now(), 'do', true)";
    assert_eq!(
        constraint_of(&pool, stray).await,
        "sample_stage_is_only_a_template"
    );
    let mut tx = pool.begin().await.unwrap();
    remediation_tracker::db::samples::create_stage(&mut tx)
        .await
        .unwrap();
    sqlx::query(stray).execute(&mut *tx).await.unwrap();
    // a second import in the same transaction starts from an empty stage
    remediation_tracker::db::samples::create_stage(&mut tx)
        .await
        .unwrap();
    let staged: i64 = sqlx::query_scalar("SELECT count(*) FROM sample_stage")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(staged, 0);
}

/// Samples have no foreign key (migration 0016): a statement trigger deletes a deleted site's
/// samples, and only those.
#[sqlx::test]
async fn a_deleted_sites_samples_go_with_it(pool: PgPool) {
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO site (kind, code, name, attrs, geom)
         SELECT 'monitoring_section', 'S-' || i, 's', '{}', ST_SetSRID(ST_MakePoint(119.9, 31.8), 4326)
         FROM generate_series(1, 3) i RETURNING id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sample (site_id, sampled_at, parameter, value)
         SELECT id, now() - d * interval '1 day', 'do', 6.0 FROM site, generate_series(1, 4) d",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM site WHERE id = ANY($1)")
        .bind(&ids[..2])
        .execute(&pool)
        .await
        .unwrap();
    let left: Vec<(i64, i64)> =
        sqlx::query_as("SELECT site_id, count(*) FROM sample GROUP BY site_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(left, [(ids[2], 4)]);
}
