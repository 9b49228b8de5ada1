//! The `remediation-tracker` binary: parses configuration, starts tracing, opens the pool and
//! runs the chosen command.

use anyhow::Context;
use clap::Parser;
use remediation_tracker::config::{
    AttachmentsCommand, CasesCommand, Cli, Command, ProjectsCommand, SamplesCommand, ServeArgs,
    UserCommand,
};
use remediation_tracker::db::{audit, users};
use remediation_tracker::domain::InputCrs;
use remediation_tracker::domain::account;
use remediation_tracker::domain::file_crs::{FileCrs, parse_file_crs};
use remediation_tracker::domain::import::ImportTarget;
use remediation_tracker::import::{
    ImportError, ImportOptions, OnExisting, VectorFileOptions, import_any, is_geojson,
    parse_mapping,
};
use remediation_tracker::samples::{self, SampleImportError, SampleImportOptions};
use remediation_tracker::{alert_delivery, attachments, db, export, http, report, seed};
use sqlx::{Connection, PgPool};
use std::path::Path;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

// Every request allocates rows, strings and JSON on the tokio threads; glibc's allocator spent
// about a quarter of the server's CPU time on that under load (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn open_store(
    args: &remediation_tracker::config::StoreArgs,
) -> anyhow::Result<attachments::store::AttachmentStore> {
    attachments::store::AttachmentStore::open(&args.store_config())
        .context("opening the attachment store")
}

async fn attachments_command(
    pool: &sqlx::PgPool,
    store: &attachments::store::AttachmentStore,
    action: AttachmentsCommand,
) -> anyhow::Result<()> {
    match action {
        AttachmentsCommand::Check => {
            let report = attachments::check(pool, store).await?;
            for (id, key) in &report.missing {
                println!("missing: attachment {id} ({key})");
            }
            for (id, key, what) in &report.corrupt {
                println!("corrupt: attachment {id} ({key}): {what}");
            }
            eprintln!(
                "{} attachment(s) checked in the {}: {} missing, {} corrupt",
                report.checked,
                store.description,
                report.missing.len(),
                report.corrupt.len()
            );
            if !report.missing.is_empty() || !report.corrupt.is_empty() {
                anyhow::bail!("the attachment store does not hold every attachment intact");
            }
        }
        AttachmentsCommand::Gc { grace_minutes } => {
            let deleted = attachments::collect_orphans(
                pool,
                store,
                chrono::Duration::minutes(i64::from(grace_minutes)),
            )
            .await?;
            for key in &deleted {
                println!("deleted: {key}");
            }
            eprintln!(
                "{} unclaimed object(s) deleted from the {}",
                deleted.len(),
                store.description
            );
        }
    }
    Ok(())
}

/// `import`: any file the import takes, all or nothing, with the audit of what was imported.
async fn import_sites(
    pool: &sqlx::PgPool,
    kind: ImportTarget,
    crs: Option<String>,
    file_options: impl FnOnce(Option<FileCrs>) -> VectorFileOptions,
    repair: bool,
    file: &Path,
) -> anyhow::Result<()> {
    let geojson = is_geojson(file);
    let input_crs: InputCrs = match (&crs, geojson) {
        (Some(name), true) => name.parse()?,
        _ => InputCrs::Wgs84,
    };
    let options = ImportOptions {
        target: kind,
        crs: input_crs,
        repair,
        on_existing: OnExisting::Reject,
    };
    let file_options = file_options(match (&crs, geojson) {
        (Some(name), false) => Some(parse_file_crs(name).map_err(|e| anyhow::anyhow!(e))?),
        _ => None,
    });
    let mut tx = pool.begin().await.context("connecting to the database")?;
    match import_any(&mut tx, file, options, file_options).await {
        Ok((summary, facts)) => {
            if let Some(facts) = &facts {
                eprintln!("read {}", facts.describe());
            }
            let details = serde_json::json!({
                "file": file.display().to_string(), "crs": facts.as_ref().map_or(input_crs.to_string(), |f| f.crs.clone()),
                "inserted": summary.inserted, "repair": repair,
            });
            audit::record(
                &mut tx,
                &cli_actor(),
                "import",
                &format!("kind {kind}"),
                details,
            )
            .await?;
            tx.commit().await?;
            eprintln!(
                "imported {} {kind} feature(s) from {}",
                summary.inserted,
                file.display()
            );
            Ok(())
        }
        Err(e @ (ImportError::Rejected { .. } | ImportError::Unreadable(_))) => {
            tx.rollback().await?;
            anyhow::bail!("{e}")
        }
        Err(e) => Err(e.into()),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let pool = db::connect_lazy(
        &cli.database_url,
        cli.pool_size(),
        Duration::from_secs(cli.db_acquire_timeout_secs),
        // the server bounds each statement; commands (imports, reports) run as long as they need
        matches!(cli.command, Command::Serve(_))
            .then(|| Duration::from_secs(cli.db_statement_timeout_secs.max(1))),
    )
    .context("invalid DATABASE_URL")?;
    match cli.command {
        Command::Migrate { grant_to } => {
            if db::create_database_if_missing(&cli.database_url)
                .await
                .context("creating the database")?
            {
                eprintln!("database created");
            }
            db::migrate(&pool).await.context("applying migrations")?;
            eprintln!("migrations applied");
            if let Some(role) = grant_to {
                db::grant_app_role(&pool, &role)
                    .await
                    .with_context(|| format!("granting the app's rights to role {role}"))?;
                eprintln!("role {role} may read and write the data, and change nothing else");
            }
        }
        Command::Seed { geodata } => {
            if !db::schema_present(&pool)
                .await
                .context("connecting to the database")?
            {
                anyhow::bail!(
                    "the database has no schema yet: run `remediation-tracker migrate` as its owner first"
                );
            }
            let summary = seed::seed(&pool, &geodata).await?;
            eprintln!(
                "seed: {} admin areas, {} sites, {} programmes, {} projects, {} measured values, {} cases added (existing rows left as they were)",
                summary.admin_areas,
                summary.sites,
                summary.programmes,
                summary.projects,
                summary.samples,
                summary.cases
            );
        }
        Command::Serve(args) => {
            // a report build runs its statements on a pool of its own, with a longer bound; one
            // build runs at a time
            let report_pool = db::connect_lazy(
                &cli.database_url,
                report::CONNECTIONS,
                Duration::from_secs(cli.db_acquire_timeout_secs),
                Some(Duration::from_secs(args.report_timeout_secs.max(1))),
            )
            .context("invalid DATABASE_URL")?;
            serve(pool, report_pool, *args).await?
        }
        Command::Import {
            kind,
            crs,
            layer,
            encoding,
            mapping,
            repair,
            file,
        } => {
            let mapping = match mapping {
                None => Default::default(),
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading the mapping {}", path.display()))?;
                    parse_mapping(&text).map_err(|e| anyhow::anyhow!(e))?
                }
            };
            let file_options = |crs| VectorFileOptions {
                layer,
                crs,
                encoding,
                mapping,
            };
            import_sites(&pool, kind, crs, file_options, repair, &file).await?
        }
        Command::Samples {
            action: SamplesCommand::Import { lab, dry_run, file },
        } => import_samples(&pool, &file, lab, dry_run).await?,
        Command::Cases {
            action:
                CasesCommand::Import {
                    kind,
                    crs,
                    dry_run,
                    file,
                },
        } => import_ledger(&pool, &file, kind, crs, dry_run).await?,
        Command::Projects {
            action: ProjectsCommand::Update { dry_run, file },
        } => update_projects(&pool, &file, dry_run).await?,
        Command::Backup { out, store } => {
            let store = open_store(&store)?;
            let carried =
                attachments::backup::backup(&cli.database_url, &pool, &store, &out).await?;
            eprintln!(
                "backup written to {}: the database and {} file(s), {} bytes",
                out.display(),
                carried.objects,
                carried.bytes
            );
        }
        Command::Restore { from, store } => {
            let store = open_store(&store)?;
            let carried =
                attachments::backup::restore(&cli.database_url, &pool, &store, &from).await?;
            eprintln!(
                "restored from {}: the database and {} file(s), {} bytes",
                from.display(),
                carried.objects,
                carried.bytes
            );
        }
        Command::Attachments { action, store } => {
            let store = open_store(&store)?;
            attachments_command(&pool, &store, action).await?
        }
        Command::User { action } => user_command(&pool, action).await?,
        Command::Report {
            as_of,
            since,
            format,
            lang,
            out,
            with_photos,
            store,
        } => {
            let as_of = as_of.unwrap_or_else(report::today);
            report::check_dates(as_of, since)?;
            if with_photos {
                report::photos::check_format(format, "--with-photos")
                    .map_err(anyhow::Error::msg)?;
            }
            let mut built = report::build(&pool, as_of, since, lang).await?;
            if with_photos {
                report::photos::add_photos(&pool, &open_store(&store)?, &mut built).await?;
            }
            let bytes = report::render::render(&built, format)?;
            match out {
                Some(path) => std::fs::write(&path, &bytes)
                    .with_context(|| format!("writing {}", path.display()))?,
                None if format == report::Format::Xlsx => {
                    anyhow::bail!("xlsx is binary: give --out FILE")
                }
                None => std::io::Write::write_all(&mut std::io::stdout().lock(), &bytes)?,
            }
            eprintln!("report as of {as_of} written ({} bytes)", bytes.len());
        }
        Command::Export {
            kind,
            format,
            town,
            status,
            bbox,
            out,
        } => {
            let request = export::ExportRequest {
                layer: kind,
                selection: db::export::Selection {
                    towns: town,
                    statuses: status,
                    bbox,
                    ..Default::default()
                },
                audience: remediation_tracker::domain::Audience::Staff,
                format,
            };
            let count = match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    export::export_selection(&pool, &request, &mut std::io::BufWriter::new(file))
                        .await?
                }
                None => export::export_selection(&pool, &request, &mut std::io::stdout()).await?,
            };
            eprintln!("exported {count} {kind} feature(s)");
        }
    }
    Ok(())
}

async fn serve(
    pool: sqlx::PgPool,
    report_pool: sqlx::PgPool,
    args: ServeArgs,
) -> anyhow::Result<()> {
    if let Some(owner_url) = &args.migrate_database_url {
        let owner = db::connect_lazy(owner_url, 1, Duration::from_secs(30), None)
            .context("invalid MIGRATE_DATABASE_URL")?;
        db::migrate(&owner)
            .await
            .context("applying migrations at start-up")?;
        let role = db::current_role(&pool)
            .await
            .context("connecting to the database")?;
        db::grant_app_role(&owner, &role)
            .await
            .with_context(|| format!("granting the app's rights to role {role}"))?;
        owner.close().await;
    }
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind))
        .trim_end_matches('/')
        .to_string();
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        anyhow::bail!("PUBLIC_URL must start with http:// or https://, got {public_url:?}");
    }
    let trusted_proxies = args
        .trusted_proxies
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!("TRUSTED_PROXIES: {p:?} is not an address or CIDR block")
                })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let config = http::HttpConfig {
        web_dir: args.web_dir,
        session_ttl: chrono::Duration::hours(i64::from(args.session_hours.max(1))),
        secure_cookies: args.secure_cookies || public_url.starts_with("https://"),
        require_login_for_read: args.require_login_for_read,
        tile_cache_bytes: args.tile_cache_mb.saturating_mul(1 << 20),
        request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
        report_timeout: Duration::from_secs(args.report_timeout_secs.max(1)),
        max_body_bytes: args.max_body_mb.clamp(1, 1024) << 20,
        max_sheet_bytes: args.max_sheet_mb.clamp(1, 1024) << 20,
        tile_render_concurrency: args
            .tile_render_concurrency
            .unwrap_or(pool.options().get_max_connections() as usize / 2)
            .max(1),
        cors_read_origins: args
            .cors_read_origins
            .iter()
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect(),
        login_max_failures: args.login_max_failures.max(1),
        login_lock: chrono::Duration::minutes(i64::from(args.login_lock_minutes.max(1))),
        basemaps: http::Basemap::configured(
            &args.basemap_osm_url,
            &args.tianditu_key,
            &args.basemap_gcj02_url,
        ),
        repeat_window: remediation_tracker::domain::casework::RepeatWindow {
            radius_m: args.repeat_radius_m,
            days: args.repeat_days,
        },
        password_check_concurrency: args
            .login_concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
            .max(1),
        public_url,
        trusted_proxies,
        max_upload_bytes: args.max_upload_mb.clamp(1, 4096) << 20,
        upload_staging_dir: args.store.attachment_dir.join(".incoming"),
        photo_distance_warn_m: args.photo_distance_warn_m.max(0.0),
        attachment_store: args.store.store_config(),
    };
    let limits = http::ConnectionLimits {
        header_read_timeout: Duration::from_secs(args.header_read_timeout_secs.max(1)),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs.max(1)),
        max_connections: args.max_connections.max(1),
    };
    let state = http::AppState::new(pool, config).with_report_pool(report_pool);
    state
        .attachments
        .ready()
        .map_err(|e| anyhow::anyhow!("the attachment store: {e}"))?;
    tokio::spawn(attachments::thumbnail::make_missing(
        state.pool.clone(),
        state.attachments.clone(),
        state.thumbnail_turns.clone(),
    ));
    if state.config.tile_cache_bytes > 0 {
        state.start_tile_cache();
    }
    if let Some(url) = args.alert_webhook_url.as_deref().filter(|u| !u.is_empty()) {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("ALERT_WEBHOOK_URL must start with http:// or https://");
        }
        let mut webhook = alert_delivery::WebhookConfig::new(url.to_string());
        webhook.max_attempts = args.alert_webhook_max_attempts.max(1);
        webhook.backoff = Duration::from_secs(args.alert_webhook_backoff_secs.max(1));
        alert_delivery::spawn(state.pool.clone(), webhook).context("starting the alert webhook")?;
    }
    let app = http::app(state);
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    http::serve(listener, app, limits, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn user_command(pool: &sqlx::PgPool, action: UserCommand) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await.context("connecting to the database")?;
    match action {
        UserCommand::Add { username, role } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let hash = account::hash_password(password)?;
            let mut tx = conn.begin().await?;
            match users::create_user(&mut tx, &username, role, &hash).await {
                Ok(id) => {
                    let details = serde_json::json!({ "role": role });
                    audit::record(
                        &mut tx,
                        &cli_actor(),
                        "user.created",
                        &format!("user {username}"),
                        details,
                    )
                    .await?;
                    tx.commit().await?;
                    eprintln!("user {username} added with role {role} (id {id})")
                }
                Err(e)
                    if e.as_database_error()
                        .is_some_and(|d| d.is_unique_violation()) =>
                {
                    anyhow::bail!("a user named {username} already exists")
                }
                Err(e)
                    if e.as_database_error()
                        .is_some_and(|d| d.is_check_violation()) =>
                {
                    anyhow::bail!(
                        "invalid username {username:?}: use 2 to 64 letters, digits, '.', '_' or '-'"
                    )
                }
                Err(e) => return Err(e.into()),
            }
        }
        UserCommand::List => {
            for user in users::list_users(&mut conn).await? {
                let state = if user.disabled { "disabled" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}",
                    user.username,
                    user.role,
                    state,
                    user.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        UserCommand::Disable { username } => {
            let mut tx = conn.begin().await?;
            if !users::disable_user(&mut tx, &username).await? {
                anyhow::bail!("no user named {username}");
            }
            let target = format!("user {username}");
            audit::record(
                &mut tx,
                &cli_actor(),
                "user.disabled",
                &target,
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            eprintln!(
                "user {username} disabled; their sessions ended and their tokens no longer work"
            );
        }
    }
    Ok(())
}

/// Who the audit names for a command run on the server: the operating-system user.
/// Prints a refused sheet's rows and fails with how many problems it had.
fn sheet_refused(
    file: &Path,
    rejected: &[remediation_tracker::ledger::LedgerRejection],
    total: usize,
    outcome: &str,
) -> anyhow::Result<()> {
    let rows = rejected
        .iter()
        .map(|r| (r.row, r.column.as_deref(), r.reason.as_str()));
    print_rejections(rows, total);
    anyhow::bail!("{}: {total} problem(s); {outcome}", file.display())
}

/// `projects update`: a progress sheet, every change printed before → after.
async fn update_projects(pool: &PgPool, file: &Path, dry_run: bool) -> anyhow::Result<()> {
    use remediation_tracker::progress_sheet::{self, ProgressSheetError};
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let file_name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut tx = pool.begin().await.context("connecting to the database")?;
    match progress_sheet::update(&mut tx, &cli_actor(), &bytes, &file_name, dry_run).await {
        Ok(summary) => {
            for change in &summary.changes {
                let fields: Vec<String> = change
                    .changes
                    .iter()
                    .map(|(field, c)| format!("{field} {} → {}", c["before"], c["after"]))
                    .collect();
                println!(
                    "row {} {} {}: {}",
                    change.row,
                    change.code,
                    change.name,
                    fields.join(", ")
                );
            }
            if dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            eprintln!(
                "{}: {} project(s) {}, {} row(s) unchanged{}",
                file.display(),
                summary.changed,
                if dry_run {
                    "would change; nothing was written"
                } else {
                    "updated"
                },
                summary.unchanged,
                if summary.ignored_columns.is_empty() {
                    String::new()
                } else {
                    format!("; columns not read: {}", summary.ignored_columns.join(", "))
                }
            );
            Ok(())
        }
        Err(ProgressSheetError::Rejected(summary)) => {
            tx.rollback().await?;
            sheet_refused(
                file,
                &summary.rejected,
                summary.rejected_total,
                "no project was updated",
            )
        }
        Err(e) => {
            tx.rollback().await?;
            anyhow::bail!("{}: {e}", file.display());
        }
    }
}

async fn import_ledger(
    pool: &PgPool,
    file: &Path,
    kind: remediation_tracker::config::CaseKind,
    crs: remediation_tracker::domain::InputCrs,
    dry_run: bool,
) -> anyhow::Result<()> {
    use remediation_tracker::ledger::{self, LedgerImportError, LedgerImportOptions};
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let options = LedgerImportOptions {
        kind,
        crs,
        dry_run,
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
    };
    let mut tx = pool.begin().await.context("connecting to the database")?;
    match ledger::import(&mut tx, &cli_actor(), &bytes, &options).await {
        Ok(summary) if dry_run => {
            tx.rollback().await?;
            eprintln!(
                "{}: {} {kind} case(s) would be imported; nothing was written",
                file.display(),
                summary.rows
            );
        }
        Ok(summary) => {
            tx.commit().await?;
            eprintln!(
                "imported {} {kind} case(s) from {}",
                summary.inserted,
                file.display()
            );
        }
        Err(LedgerImportError::Rejected(summary)) => {
            tx.rollback().await?;
            return sheet_refused(
                file,
                &summary.rejected,
                summary.rejected_total,
                "nothing was imported",
            );
        }
        Err(e) => {
            tx.rollback().await?;
            anyhow::bail!("{}: {e}", file.display());
        }
    }
    Ok(())
}

/// Names every rejected row (and column) of a refused sheet on standard error.
fn print_rejections<'a>(
    rejected: impl ExactSizeIterator<Item = (usize, Option<&'a str>, &'a str)>,
    total: usize,
) {
    let listed = rejected.len();
    for (row, column, reason) in rejected {
        match column {
            Some(column) => eprintln!("row {row}, column {column}: {reason}"),
            None => eprintln!("row {row}: {reason}"),
        }
    }
    if total > listed {
        eprintln!("… and {} more", total - listed);
    }
}

async fn import_samples(
    pool: &PgPool,
    file: &Path,
    lab: Option<String>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let options = SampleImportOptions {
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        lab,
        dry_run,
    };
    let mut tx = pool.begin().await.context("connecting to the database")?;
    match samples::import(&mut tx, &cli_actor(), &bytes, &options).await {
        Ok(summary) if dry_run => {
            tx.rollback().await?;
            eprintln!(
                "{}: {} row(s), {} value(s) of {} site(s) would be imported; nothing was written",
                file.display(),
                summary.rows,
                summary.values,
                summary.sites
            );
        }
        Ok(summary) => {
            tx.commit().await?;
            eprintln!(
                "imported {} value(s) in {} row(s) for {} site(s) from {} (batch {}); {} site(s) graded anew",
                summary.inserted,
                summary.rows,
                summary.sites,
                file.display(),
                summary.batch_id.unwrap_or_default(),
                summary.regraded
            );
        }
        Err(SampleImportError::Rejected(summary)) => {
            tx.rollback().await?;
            let rows = summary
                .rejected
                .iter()
                .map(|r| (r.row, r.column.as_deref(), r.reason.as_str()));
            print_rejections(rows, summary.rejected_total);
            anyhow::bail!(
                "{}: {} problem(s); nothing was imported",
                file.display(),
                summary.rejected_total
            );
        }
        Err(e) => {
            tx.rollback().await?;
            anyhow::bail!("{}: {e}", file.display());
        }
    }
    Ok(())
}

fn cli_actor() -> db::events::Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    db::events::Actor {
        id: None,
        name: format!("cli:{user}"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
