//! Loads the sample data set (`geodata/`): administrative areas, sites of every kind,
//! programmes and projects with their history. Idempotent: rows whose code is already stored are
//! left untouched, and everything runs in one transaction.

use crate::db::seed::{self as sql, ProgrammeSeed, ProjectSeed};
use crate::domain::{InputCrs, SiteKind};
use crate::import::{ImportOptions, ImportTarget, OnExisting, import_file};
use anyhow::{Context, bail};
use serde::Deserialize;
use sqlx::PgPool;
use std::path::Path;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub admin_areas: u64,
    pub sites: u64,
    pub programmes: u64,
    pub projects: u64,
    /// measured values (geodata/samples/*.csv)
    pub samples: u64,
    /// casework (geodata/cases/<kind>.csv)
    pub cases: u64,
}

pub async fn seed(pool: &PgPool, dir: &Path) -> anyhow::Result<SeedSummary> {
    let mut tx = pool.begin().await?;
    let mut summary = SeedSummary::default();
    let targets =
        std::iter::once(ImportTarget::AdminArea).chain(SiteKind::ALL.map(ImportTarget::Site));
    for target in targets {
        let path = dir.join(format!("{}.geojson", target.name()));
        if !path.exists() {
            continue;
        }
        let options = ImportOptions {
            target,
            crs: InputCrs::Wgs84,
            repair: false,
            on_existing: OnExisting::Skip,
        };
        let imported = import_file(&mut tx, &path, options)
            .await
            .with_context(|| format!("loading {}", path.display()))?;
        match target {
            ImportTarget::AdminArea => summary.admin_areas += imported.inserted,
            ImportTarget::Site(_) => summary.sites += imported.inserted,
        }
    }

    let programmes: Vec<ProgrammeSeed> = read_json(&dir.join("programmes.json"))?;
    for programme in &programmes {
        if sql::insert_programme(&mut tx, programme).await? {
            summary.programmes += 1;
        }
    }

    let projects: Vec<ProjectSeed> = read_json(&dir.join("projects.json"))?;
    for project in &projects {
        project
            .check_history()
            .map_err(|e| anyhow::anyhow!("project {}: {e}", project.code))?;
        if sql::insert_project(&mut tx, project)
            .await
            .with_context(|| format!("project {}", project.code))?
        {
            summary.projects += 1;
        }
    }
    seed_report_templates(&mut tx, &dir.join("report_templates.json")).await?;
    summary.samples = seed_samples(&mut tx, &dir.join("samples")).await?;
    summary.cases = seed_cases(&mut tx, &dir.join("cases")).await?;
    tx.commit().await?;
    Ok(summary)
}

/// The report's sections and programme templates (geodata/report_templates.json); templates
/// already stored, perhaps edited, are left as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportTemplatesSeed {
    sections: Vec<crate::db::report::SectionTemplate>,
    programmes: std::collections::BTreeMap<String, crate::db::report::ProgrammeReportEdit>,
}

async fn seed_report_templates(conn: &mut sqlx::PgConnection, path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let seed: ReportTemplatesSeed =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    for section in &seed.sections {
        for source in [&section.template_zh, &section.template_en] {
            crate::report::templates::check_template(source)
                .map_err(|e| anyhow::anyhow!("report section {}: {e}", section.code))?;
        }
        crate::db::report::insert_section_if_missing(&mut *conn, section).await?;
    }
    for (programme, template) in &seed.programmes {
        for source in [&template.template_zh, &template.template_en] {
            crate::report::templates::check_template(source)
                .map_err(|e| anyhow::anyhow!("report template of {programme}: {e}"))?;
        }
        if !crate::db::report::insert_programme_template_if_missing(&mut *conn, programme, template)
            .await?
        {
            bail!("report template for unknown programme {programme}");
        }
    }
    Ok(())
}

/// The illustrative ledgers (geodata/cases/<kind>.csv), each through the importer the bureau's
/// own ledgers go through; a kind that already has cases is left alone.
async fn seed_cases(conn: &mut sqlx::PgConnection, dir: &Path) -> anyhow::Result<u64> {
    use crate::domain::casework::CaseKind;
    use crate::domain::choice::Choice;
    use crate::ledger::{LedgerImportError, LedgerImportOptions};
    let mut stored = 0;
    for kind in CaseKind::ALL {
        let path = dir.join(format!("{}.csv", kind.name()));
        if !path.exists() || sql::cases_of_kind_exist(conn, kind.name()).await? {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let options = LedgerImportOptions {
            kind: *kind,
            crs: InputCrs::Wgs84,
            dry_run: false,
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        };
        match crate::ledger::import(conn, &sql::seed_actor(), &bytes, &options).await {
            Ok(summary) => stored += summary.inserted as u64,
            Err(LedgerImportError::Rejected(summary)) => {
                let first = summary
                    .rejected
                    .first()
                    .map_or(String::new(), |r| format!(": row {}: {}", r.row, r.reason));
                bail!(
                    "{}: {} problem(s){first}",
                    path.display(),
                    summary.rejected_total
                );
            }
            Err(e) => return Err(anyhow::Error::new(e).context(format!("{}", path.display()))),
        }
    }
    Ok(stored)
}

/// The illustrative lab sheets (geodata/samples/*.csv), each imported once, by the importer the
/// bureau's own sheets go through; their alerts open as an import's would.
async fn seed_samples(conn: &mut sqlx::PgConnection, dir: &Path) -> anyhow::Result<u64> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    let mut values = 0;
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if sql::sample_file_loaded(conn, &name).await? {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let options = crate::samples::SampleImportOptions {
            file_name: Some(name),
            lab: Some("示例数据 (illustrative)".into()),
            dry_run: false,
        };
        match crate::samples::import(conn, &sql::seed_actor(), &bytes, &options).await {
            Ok(summary) => values += summary.inserted,
            Err(crate::samples::SampleImportError::Rejected(summary)) => {
                let first = summary
                    .rejected
                    .first()
                    .map_or(String::new(), |r| format!(": row {}: {}", r.row, r.reason));
                bail!(
                    "{}: {} problem(s){first}",
                    path.display(),
                    summary.rejected_total
                );
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("loading {}", path.display())));
            }
        }
    }
    Ok(values)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let items =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(items)
}
