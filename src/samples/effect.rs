//! The effect of a project: for each linked site with samples, the 90 days before the project's
//! actual start against the 90 days after its actual end (or, while it runs, the 90 days up to
//! the site's latest sample, but not before the start, so that the windows never overlap), each
//! graded by its means, and the parameters that moved the class.

use super::assessment::{self, Assessment};
use crate::db::samples;
use crate::domain::monitoring::{WaterClass, in_china_time};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;

/// Days in each window.
pub const WINDOW_DAYS: i64 = 90;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteEffect {
    pub site_id: i64,
    pub code: String,
    /// the 90 days before the actual start; none before the project starts
    pub before: Option<Assessment>,
    /// the 90 days after the actual end, or up to the latest sample while the project runs
    pub after: Assessment,
    /// e.g. "劣Ⅴ → Ⅳ"; none unless both windows have a class
    pub change: Option<String>,
    /// better, worse or same
    pub direction: Option<&'static str>,
    /// the parameters whose class moved the site's: those that set the worse of the two classes
    /// and are no longer at it (better), or that set the new, worse class (worse)
    pub moved_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectEffect {
    pub project_id: i64,
    pub actual_start: Option<NaiveDate>,
    pub actual_end: Option<NaiveDate>,
    pub sites: Vec<SiteEffect>,
}

fn midnight(date: NaiveDate) -> Option<DateTime<Utc>> {
    in_china_time(date.and_time(NaiveTime::MIN))
}

pub async fn effect(
    conn: &mut PgConnection,
    project_id: i64,
    actual_start: Option<NaiveDate>,
    actual_end: Option<NaiveDate>,
) -> sqlx::Result<ProjectEffect> {
    let window = Duration::days(WINDOW_DAYS);
    let mut sites = Vec::new();
    for (site, latest) in samples::linked_sampled_sites(conn, project_id).await? {
        let before_window = actual_start
            .and_then(midnight)
            .map(|start| (start - window, start));
        let after_window = match actual_end.and_then(midnight) {
            Some(end) => (end, end + window),
            // up to and including the latest sample, from the start at the earliest
            None => {
                let from = latest - window;
                let from = before_window.map_or(from, |(_, start)| from.max(start));
                (from, latest + Duration::seconds(1))
            }
        };
        let before = match before_window {
            Some(bounds) => assessment::assess(conn, std::slice::from_ref(&site), "before", bounds)
                .await?
                .pop(),
            None => None,
        };
        let Some(after) =
            assessment::assess(conn, std::slice::from_ref(&site), "after", after_window)
                .await?
                .pop()
        else {
            continue;
        };
        sites.push(compare(site.id, site.code.clone(), before, after));
    }
    Ok(ProjectEffect {
        project_id,
        actual_start,
        actual_end,
        sites,
    })
}

fn compare(
    site_id: i64,
    code: String,
    before: Option<Assessment>,
    after: Assessment,
) -> SiteEffect {
    let classes = before.as_ref().and_then(|b| b.class).zip(after.class);
    let (change, direction, moved_by) = match (classes, &before) {
        (Some((was, now)), Some(b)) => {
            let class_of = |a: &Assessment, p: &str| -> Option<WaterClass> {
                a.parameters
                    .iter()
                    .find(|x| x.parameter == p)
                    .and_then(|x| x.class)
            };
            let (direction, moved_by): (&'static str, Vec<String>) = if now < was {
                let moved = b
                    .limiting
                    .iter()
                    .filter(|p| class_of(&after, p).is_some_and(|c| c < was))
                    .map(|p| p.to_string())
                    .collect();
                ("better", moved)
            } else if now > was {
                let moved = after
                    .limiting
                    .iter()
                    .filter(|p| class_of(b, p).is_none_or(|c| c < now))
                    .map(|p| p.to_string())
                    .collect();
                ("worse", moved)
            } else {
                ("same", Vec::new())
            };
            (
                Some(format!("{} → {}", was.label_zh(), now.label_zh())),
                Some(direction),
                moved_by,
            )
        }
        _ => (None, None, Vec::new()),
    };
    SiteEffect {
        site_id,
        code,
        before,
        after,
        change,
        direction,
        moved_by,
    }
}
