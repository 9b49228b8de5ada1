//! A site's grading per survey day: the black-odor grade (and water class) of each day with
//! samples, oldest first, for a body's grade history.

use super::alerts::GradedSite;
use crate::db::samples::{self, SampleValue, SampledSite};
use crate::domain::monitoring::china_time;
use chrono::{Duration, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use std::collections::BTreeMap;

/// How far back a history reaches.
const HISTORY_DAYS: i64 = 5 * 366;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SurveyGrade {
    /// the survey's day, China time
    pub day: NaiveDate,
    /// none, light or severe (black-odor bodies)
    pub black_odor_grade: Option<String>,
    /// the indicators that decided the grade
    pub deciding: Vec<&'static str>,
    /// the GB 3838 class of the day's means
    pub class: Option<String>,
}

pub async fn history(
    conn: &mut PgConnection,
    site: &SampledSite,
) -> sqlx::Result<Vec<SurveyGrade>> {
    let to = Utc::now() + Duration::days(1);
    let values =
        samples::site_samples(conn, site.id, to - Duration::days(HISTORY_DAYS), to).await?;
    let mut days: BTreeMap<NaiveDate, Vec<SampleValue>> = BTreeMap::new();
    for value in values {
        let day = value.sampled_at.with_timezone(&china_time()).date_naive();
        days.entry(day).or_default().push(value);
    }
    Ok(days
        .into_iter()
        .map(|(day, readings)| {
            let graded = GradedSite::new(site.clone(), &readings);
            SurveyGrade {
                day,
                black_odor_grade: graded
                    .day
                    .black_odor
                    .as_ref()
                    .map(|(g, _)| g.as_str().to_string()),
                deciding: graded.day.black_odor.map(|(_, d)| d).unwrap_or_default(),
                class: graded.day.water.map(|w| w.class.as_str().to_string()),
            }
        })
        .collect())
}
