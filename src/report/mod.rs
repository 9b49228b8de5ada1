//! The half-year report: the state of every project, link and site as of a date, rebuilt from
//! history; each programme's figures against its targets; the sentences of its editable
//! templates; and, with a start date, what changed in the period.

pub mod casework;
mod changes;
mod context;
mod load;
pub mod model;
pub mod photos;
pub mod render;
pub mod state;
pub mod templates;
mod water;

use crate::db::report as sql;
pub use crate::domain::choice::{Format, Lang};
use chrono::NaiveDate;
use context::{item, programme_context, programme_part, section_context, zones_context};
use load::load_snapshot;
pub use model::*;
use sqlx::PgPool;
use state::ProjectAsOf;
use std::collections::HashMap;

/// The connections one build reads on at once: the shares of the projects' replay, the sites
/// and inventory beside them, the cases' replay.
pub const CONNECTIONS: u32 = load::REPLAY_SHARES as u32 + 2;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A stored template that cannot be rendered; the message names it and the line.
    #[error("{0}")]
    Template(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Builds the report for `as_of` (end of that day in China), with changes since `since` when given.
pub async fn build(
    pool: &PgPool,
    as_of: NaiveDate,
    since: Option<NaiveDate>,
    lang: Lang,
) -> Result<Report, ReportError> {
    let (sections, templates) = {
        let mut conn = pool.acquire().await?;
        (
            sql::sections(&mut conn).await?,
            sql::programme_templates(&mut conn).await?,
        )
    };
    let wanted: Vec<sql::InventoryWanted> = sections
        .iter()
        .flat_map(|s| s.inventory.0.clone())
        .collect();
    // the cases' replay is independent of the projects': it runs beside it
    let casework_figures = async {
        let mut conn = pool.acquire().await?;
        casework::casework(&mut conn, as_of, end_of_day(as_of), lang).await
    };
    let (snapshot, casework) = tokio::try_join!(
        load_snapshot(pool, end_of_day(as_of), since.map(end_of_day), &wanted),
        casework_figures
    )?;

    let env = templates::template_env();
    let mut out_sections = Vec::new();
    let mut by_programme: HashMap<&str, Vec<&ProjectAsOf>> = HashMap::new();
    for p in &snapshot.projects {
        if let Some(code) = p.text("programme") {
            by_programme.entry(code).or_default().push(p);
        }
    }
    let zones = zones_context(&snapshot);
    let water_quality = {
        let mut conn = pool.acquire().await?;
        water::water_quality(&mut conn, as_of, end_of_day(as_of), &snapshot).await?
    };
    let water_quality = serde_json::to_value(&water_quality).unwrap_or_default();
    let casework_context = serde_json::to_value(&casework).unwrap_or_default();
    let project_names: HashMap<i64, &ProjectAsOf> =
        snapshot.projects.iter().map(|p| (p.id, p)).collect();
    for section in &sections {
        let mut parts = Vec::new();
        let mut part_contexts = Vec::new();
        for t in templates.iter().filter(|t| t.section == section.code) {
            let members = by_programme
                .get(t.programme.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let (context, items) = programme_context(t, members, &snapshot, lang);
            let text =
                templates::sentences(&env, lang.pick(&t.template_zh, &t.template_en), &context)
                    .map_err(|e| {
                        ReportError::Template(format!(
                            "the report template of programme {}: {e}",
                            t.programme
                        ))
                    })?;
            parts.push(programme_part(t, &context, items, text, lang));
            part_contexts.push((t.programme.clone(), context));
        }
        let items: Vec<Item> = if section.lists_unprogrammed {
            snapshot
                .projects
                .iter()
                .filter(|p| p.text("programme").is_none())
                .map(|p| item(p, &snapshot, None, lang))
                .collect()
        } else {
            Vec::new()
        };
        let mut context = section_context(section, &part_contexts, &items, &zones, &snapshot);
        context["water_quality"] = water_quality.clone();
        context["casework"] = casework_context.clone();
        let text = templates::sentences(
            &env,
            lang.pick(&section.template_zh, &section.template_en),
            &context,
        )
        .map_err(|e| {
            ReportError::Template(format!(
                "the report template of section {}: {e}",
                section.code
            ))
        })?;
        out_sections.push(Section {
            code: section.code.clone(),
            title: lang.pick(&section.title_zh, &section.title_en).to_string(),
            text,
            programmes: parts,
            items,
        });
    }

    let changes =
        since.map(|since| changes::changes(since, as_of, &snapshot, &project_names, lang));
    Ok(Report {
        as_of,
        since,
        lang,
        title: match lang {
            Lang::Zh => format!(
                "生态环境治理工作报告（截至{}）",
                as_of.format("%Y年%-m月%-d日")
            ),
            Lang::En => format!("Environmental remediation report as of {as_of}"),
        },
        sections: out_sections,
        changes,
        casework,
        photos: None,
    })
}
