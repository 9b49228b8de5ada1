//! Loads the sample data set (`geodata/`): administrative areas, sites of every kind,
//! programmes and projects with their history. Idempotent: rows whose code is already stored are
//! left untouched, and everything runs in one transaction.

use crate::db::seed as sql;
use crate::domain::{InputCrs, ProjectStatus, SiteKind};
use crate::import::{ImportOptions, ImportTarget, OnExisting, import_file};
use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgPool;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeSeed {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub year: Option<i32>,
    pub category: String,
    pub target_count: Option<i32>,
    pub target_start_rate: Option<f64>,
    pub target_completion_rate: Option<f64>,
    pub deadline: Option<NaiveDate>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySeed {
    pub at: NaiveDate,
    pub status: ProjectStatus,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSeed {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub category: String,
    pub programme: Option<String>,
    pub status: ProjectStatus,
    pub stage: Option<String>,
    pub status_reason: Option<String>,
    pub progress: i16,
    pub responsible_unit: Option<String>,
    pub town_code: Option<String>,
    pub funding_source: Option<String>,
    pub funding_amount: Option<f64>,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub actual_start: Option<NaiveDate>,
    pub actual_end: Option<NaiveDate>,
    pub description: Option<String>,
    #[serde(default)]
    pub placeholder: bool,
    #[serde(default = "empty_object")]
    pub attrs: Value,
    #[serde(default)]
    pub sites: Vec<String>,
    pub history: Vec<HistorySeed>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

impl ProjectSeed {
    /// The history must start the project and walk the lifecycle to its current status.
    pub fn check_history(&self) -> Result<(), String> {
        let first = self.history.first().ok_or("history is empty")?;
        let mut status = first.status;
        let mut at = first.at;
        for step in &self.history[1..] {
            if !status.can_move_to(step.status) {
                return Err(format!(
                    "transition {status} → {} on {} is not allowed",
                    step.status, step.at
                ));
            }
            if step.at < at {
                return Err(format!("history dates go backwards at {}", step.at));
            }
            status = step.status;
            at = step.at;
        }
        if status != self.status {
            return Err(format!(
                "history ends at {status} but the project status is {}",
                self.status
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub admin_areas: u64,
    pub sites: u64,
    pub programmes: u64,
    pub projects: u64,
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
            crate::report::render::check_template(source)
                .map_err(|e| anyhow::anyhow!("report section {}: {e}", section.code))?;
        }
        crate::db::report::insert_section_if_missing(&mut *conn, section).await?;
    }
    for (programme, template) in &seed.programmes {
        for source in [&template.template_zh, &template.template_en] {
            crate::report::render::check_template(source)
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

/// Fails with the unknown codes listed, so a typo in projects.json names itself.
pub fn missing_codes(wanted: &[String], found: &[String]) -> anyhow::Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|c| !found.contains(c))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    bail!("unknown site code(s): {}", missing.join(", "))
}
