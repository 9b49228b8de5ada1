//! The lab's sheets in: a wide sheet (one row per site and time, one column per parameter) read
//! into samples, checked as a whole, written all or nothing with its batch and audit entry, and
//! the sites it touched graded again.

pub mod alerts;
pub mod assessment;
pub mod effect;
pub mod grades;

use crate::db::events::Actor;
use crate::db::{audit, samples};
use crate::domain::monitoring::{
    CellProblem, Measured, Parameter, in_china_time, parse_cell, parse_sampled_at,
};
use crate::sheet::{Cell, Row, SheetError, SheetRows};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// How many rejections an answer lists; the total is always given.
pub const MAX_LISTED_REJECTIONS: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct SampleImportOptions {
    /// the file's name, kept with the batch
    pub file_name: Option<String>,
    /// the lab, for rows without a lab column
    pub lab: Option<String>,
    /// check and answer without writing anything
    pub dry_run: bool,
}

/// One bad row or cell.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SampleRejection {
    /// the row number in the sheet, the header being row 1
    pub row: usize,
    /// the column's header, when one cell is at fault
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub reason: String,
}

/// What an import did, or would do.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SampleImportSummary {
    /// data rows read
    pub rows: usize,
    /// values (non-empty parameter cells) read
    pub values: usize,
    /// distinct sites named
    pub sites: usize,
    /// the parameters of the sheet's columns, in column order
    pub parameters: Vec<&'static str>,
    pub dry_run: bool,
    /// the stored batch; none for a dry run or a rejected sheet
    pub batch_id: Option<i64>,
    /// values stored
    pub inserted: u64,
    /// sites whose latest grading changed
    pub regraded: usize,
    /// alerts the new samples opened, and closed
    pub alerts_opened: usize,
    pub alerts_closed: usize,
    /// the first rejections (at most 1000), in sheet order
    pub rejected: Vec<SampleRejection>,
    pub rejected_total: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SampleImportError {
    #[error(transparent)]
    Unreadable(#[from] SheetError),
    /// nothing was written; the summary names every problem
    #[error("{} row(s) or cell(s) rejected; nothing was imported", .0.rejected_total)]
    Rejected(Box<SampleImportSummary>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What a column of the sheet holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    SiteCode,
    SampledAt,
    Lab,
    /// a parameter, and the factor that brings the header's unit to the parameter's
    Parameter(Parameter, f64),
    /// a column left empty in the header (a spreadsheet's spacer)
    Blank,
}

/// A header that names no column the importer knows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum ColumnProblem {
    #[error("unknown column {0:?}: not site_code, sampled_at, lab or a parameter")]
    Unknown(String),
    #[error("unit {unit:?} of column {header:?}: {parameter} is stored in {stored}")]
    Unit {
        unit: String,
        header: String,
        parameter: &'static str,
        stored: &'static str,
    },
}

fn column(header: &str) -> Result<Column, ColumnProblem> {
    let name = header
        .split(['(', '（', '['])
        .next()
        .unwrap_or(header)
        .trim();
    match name.to_lowercase().as_str() {
        "" => return Ok(Column::Blank),
        "site_code" | "站点编码" | "断面编码" | "点位编码" | "编码" => {
            return Ok(Column::SiteCode);
        }
        "sampled_at" | "采样时间" | "监测时间" | "采样日期" => {
            return Ok(Column::SampledAt);
        }
        "lab" | "检测单位" | "监测单位" => return Ok(Column::Lab),
        _ => {}
    }
    let parameter =
        Parameter::from_header(header).ok_or_else(|| ColumnProblem::Unknown(header.to_string()))?;
    let unit = header
        .split_once(['(', '（', '['])
        .map(|(_, rest)| rest.trim_end_matches([')', '）', ']']).trim())
        .unwrap_or("");
    let scale = unit_scale(parameter, unit).ok_or_else(|| ColumnProblem::Unit {
        unit: unit.to_string(),
        header: header.to_string(),
        parameter: parameter.code(),
        stored: match parameter.unit() {
            "" => "no unit",
            unit => unit,
        },
    })?;
    Ok(Column::Parameter(parameter, scale))
}

/// The factor from a header's unit to the parameter's; `None` for a unit that does not convert.
fn unit_scale(parameter: Parameter, unit: &str) -> Option<f64> {
    let normalised = unit
        .replace(['μ', 'µ'], "u")
        .replace('℃', "°C")
        .to_lowercase();
    let stored = parameter.unit().to_lowercase();
    if normalised.is_empty() || normalised == stored {
        return Some(1.0);
    }
    match (stored.as_str(), normalised.as_str()) {
        ("", "无量纲" | "dimensionless") => Some(1.0),
        ("mg/l", "ug/l") | ("mg/kg", "ug/kg") => Some(0.001),
        ("mg/kg", "g/kg") => Some(1000.0),
        ("cm", "m") => Some(100.0),
        ("cm", "mm") => Some(0.1),
        _ => None,
    }
}

/// A value read from the sheet, with the cell it came from.
/// The row's code and lab are shared by its values: a sheet of a million values has a hundred
/// thousand rows.
struct ReadValue {
    row: usize,
    column: usize,
    site_code: Arc<str>,
    sampled_at: DateTime<Utc>,
    parameter: Parameter,
    measured: Measured,
    lab: Option<Arc<str>>,
}

/// Where the header puts what the importer reads.
struct Layout {
    columns: Vec<Column>,
    code_at: usize,
    time_at: usize,
    lab_at: Option<usize>,
}

/// The first rejections, in sheet order, and how many there are in all.
#[derive(Default)]
struct Rejections {
    listed: Vec<SampleRejection>,
    total: usize,
}

impl Rejections {
    /// Adds one step's rejections, which come after all added before.
    fn extend(&mut self, mut step: Vec<SampleRejection>) {
        step.sort_by(sheet_order);
        self.total += step.len();
        let room = MAX_LISTED_REJECTIONS.saturating_sub(self.listed.len());
        self.listed.extend(step.into_iter().take(room));
    }

    /// Adds the first of `total` rejections found anywhere in the sheet, in sheet order.
    fn merge(&mut self, first: Vec<SampleRejection>, total: usize) {
        self.total += total;
        self.listed.extend(first);
        self.listed.sort_by(sheet_order);
        self.listed.truncate(MAX_LISTED_REJECTIONS);
    }
}

fn sheet_order(a: &SampleRejection, b: &SampleRejection) -> std::cmp::Ordering {
    (a.row, &a.column).cmp(&(b.row, &b.column))
}

/// What an import keeps from one step to the next.
#[derive(Default)]
struct Progress {
    /// the first row of each site and time, to name a row repeating one
    first_row_of: HashMap<(Arc<str>, DateTime<Utc>), usize>,
    /// the site of each code looked up; none for an unknown code
    site_of: HashMap<Arc<str>, Option<i64>>,
    touched: BTreeSet<i64>,
}

/// Rows read, checked and staged per step: the memory an import takes is that of a step, not of
/// the sheet.
const ROWS_PER_STEP: usize = 2000;

/// Reads, checks and (unless a dry run) stores a sheet, in the caller's transaction: the caller
/// commits only on `Ok`. The sheet is read and staged step by step, so that its size bounds the
/// database's work but not this process's memory; when nothing is wrong, the staged values are
/// stored in one statement. Every problem is named, stored duplicates included.
pub async fn import(
    conn: &mut PgConnection,
    actor: &Actor,
    bytes: &[u8],
    options: &SampleImportOptions,
) -> Result<SampleImportSummary, SampleImportError> {
    let mut sheet = SheetRows::open(bytes)?;
    let mut rejections = Rejections::default();
    let mut header_problems = Vec::new();
    let layout = read_header(&sheet.header, &mut header_problems);
    rejections.extend(header_problems);
    let mut summary = SampleImportSummary {
        parameters: layout
            .iter()
            .flat_map(|l| &l.columns)
            .filter_map(|c| match c {
                Column::Parameter(p, _) => Some(p.code()),
                _ => None,
            })
            .collect(),
        dry_run: options.dry_run,
        ..SampleImportSummary::default()
    };
    let batch_id = match options.dry_run {
        true => None,
        false => Some(
            samples::insert_batch(
                conn,
                actor,
                options.file_name.as_deref(),
                options.lab.as_deref(),
            )
            .await?,
        ),
    };
    let default_lab: Option<Arc<str>> = options.lab.as_deref().map(Arc::from);
    samples::create_stage(conn).await?;
    let mut staged = 0;
    let mut progress = Progress::default();
    loop {
        let rows = sheet.next_rows(ROWS_PER_STEP)?;
        if rows.is_empty() {
            break;
        }
        summary.rows += rows.len();
        let Some(layout) = &layout else {
            continue;
        };
        let mut step_rejections = Vec::new();
        let values = read_values(
            layout,
            &sheet.header,
            &rows,
            &mut progress.first_row_of,
            &mut step_rejections,
        );
        summary.values += values.len();
        drop(rows);

        let unknown: Vec<String> = values
            .iter()
            .filter(|v| !progress.site_of.contains_key(&v.site_code))
            .map(|v| v.site_code.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !unknown.is_empty() {
            let found: HashMap<String, i64> = samples::sites_by_code(conn, &unknown)
                .await?
                .into_iter()
                .map(|s| (s.code, s.id))
                .collect();
            for code in unknown {
                let id = found.get(&code).copied();
                progress.site_of.insert(Arc::from(code), id);
            }
        }
        let mut unknown_reported = BTreeSet::new();
        let mut new_samples = samples::NewSamples::default();
        for v in values {
            match progress.site_of.get(&v.site_code).copied().flatten() {
                Some(site_id) => {
                    progress.touched.insert(site_id);
                    new_samples.push(
                        (v.row, v.column),
                        site_id,
                        v.sampled_at,
                        v.parameter,
                        v.measured,
                        v.lab.or_else(|| default_lab.clone()),
                    );
                }
                None if unknown_reported.insert(v.row) => step_rejections.push(SampleRejection {
                    row: v.row,
                    column: None,
                    reason: format!("unknown site code {}", v.site_code),
                }),
                None => {}
            }
        }
        if !new_samples.is_empty() {
            staged += new_samples.len();
            samples::stage(conn, &new_samples).await?;
        }
        rejections.extend(step_rejections);
    }

    // stored while nothing else is wrong; a clash with a stored sample stores nothing
    let mut may_clash = staged > 0;
    if let Some(batch_id) = batch_id
        && rejections.total == 0
        && staged > 0
        && let Some(inserted) = samples::store_staged(conn, batch_id).await?
    {
        summary.inserted = inserted;
        may_clash = false;
    }
    if may_clash {
        let (duplicates, total) =
            samples::staged_duplicates(conn, MAX_LISTED_REJECTIONS as i64).await?;
        rejections.merge(
            duplicates
                .iter()
                .map(|d| duplicate(&sheet.header, d))
                .collect(),
            usize::try_from(total).unwrap_or(usize::MAX),
        );
    }
    summary.sites = progress.touched.len();
    summary.rejected_total = rejections.total;
    summary.rejected = rejections.listed;
    if summary.rejected_total > 0 {
        return Err(SampleImportError::Rejected(Box::new(summary)));
    }
    let Some(batch_id) = batch_id else {
        return Ok(summary);
    };
    samples::finish_batch(
        conn,
        batch_id,
        i32::try_from(summary.rows).unwrap_or(i32::MAX),
        i32::try_from(summary.values).unwrap_or(i32::MAX),
    )
    .await?;
    summary.batch_id = Some(batch_id);
    let touched: Vec<i64> = progress.touched.into_iter().collect();
    let regraded = regrade(conn, actor, &touched, Some(batch_id)).await?;
    summary.regraded = regraded.sites;
    summary.alerts_opened = regraded.alerts_opened;
    summary.alerts_closed = regraded.alerts_closed;
    audit::record(
        conn,
        actor,
        "samples.import",
        &format!("sample batch {batch_id}"),
        json!({
            "file_name": options.file_name,
            "rows": summary.rows,
            "values": summary.inserted,
            "sites": summary.sites,
            "parameters": summary.parameters,
        }),
    )
    .await?;
    Ok(summary)
}

/// The rejection of a value that clashes with a stored one.
fn duplicate(header: &[String], d: &samples::StagedDuplicate) -> SampleRejection {
    let stored = &d.stored;
    let parameter = stored
        .parameter
        .parse::<Parameter>()
        .map_or(stored.parameter.clone(), |p| p.to_string());
    SampleRejection {
        row: usize::try_from(d.row_number).unwrap_or_default(),
        column: usize::try_from(d.column_number)
            .ok()
            .and_then(|c| header.get(c).cloned()),
        reason: format!(
            "a duplicate of a stored sample: {parameter} of {} at {} is stored already ({})",
            d.site_code,
            stored
                .sampled_at
                .with_timezone(&crate::domain::monitoring::china_time()),
            describe(stored)
        ),
    }
}

fn describe(stored: &samples::SampleValue) -> String {
    match (stored.below_detection, stored.value) {
        (false, Some(v)) => format!("value {v}"),
        (true, Some(limit)) => format!("below the detection limit {limit}"),
        (_, None) => "not detected".into(),
    }
}

/// Maps the header to columns, naming each problem; none when the site code or the time has
/// no column.
fn read_header(header: &[String], rejections: &mut Vec<SampleRejection>) -> Option<Layout> {
    let mut columns = Vec::with_capacity(header.len());
    for name in header {
        match column(name) {
            Ok(c) => columns.push(c),
            Err(problem) => {
                rejections.push(SampleRejection {
                    row: 1,
                    column: Some(name.clone()),
                    reason: problem.to_string(),
                });
                columns.push(Column::Blank);
            }
        }
    }
    let mut seen: HashMap<Parameter, usize> = HashMap::new();
    for (at, c) in columns.iter().enumerate() {
        if let Column::Parameter(p, _) = c
            && let Some(first) = seen.insert(*p, at)
        {
            rejections.push(SampleRejection {
                row: 1,
                column: header.get(at).cloned(),
                reason: format!(
                    "a second column of {p}: column {:?} holds it already",
                    header.get(first).map_or("", String::as_str)
                ),
            });
        }
    }
    let position = |wanted: Column| columns.iter().position(|c| *c == wanted);
    let (Some(code_at), Some(time_at)) = (position(Column::SiteCode), position(Column::SampledAt))
    else {
        rejections.push(SampleRejection {
            row: 1,
            column: None,
            reason: "the header needs a site_code and a sampled_at column".into(),
        });
        return None;
    };
    let lab_at = position(Column::Lab);
    Some(Layout {
        columns,
        code_at,
        time_at,
        lab_at,
    })
}

/// Maps every data cell of these rows to a value, naming each problem.
fn read_values(
    layout: &Layout,
    header: &[String],
    rows: &[Row],
    first_row_of: &mut HashMap<(Arc<str>, DateTime<Utc>), usize>,
    rejections: &mut Vec<SampleRejection>,
) -> Vec<ReadValue> {
    let Layout {
        columns,
        code_at,
        time_at,
        lab_at,
    } = layout;
    let (code_at, time_at) = (*code_at, *time_at);
    // future times are a typing error: a day's grace covers clocks and zones
    let latest_possible = Utc::now() + Duration::days(1);
    let mut values = Vec::new();
    for (row, cells) in rows {
        let reject =
            |rejections: &mut Vec<SampleRejection>, column: Option<usize>, reason: String| {
                rejections.push(SampleRejection {
                    row: *row,
                    column: column.and_then(|c| header.get(c).cloned()),
                    reason,
                })
            };
        let cell = |at: usize| cells.get(at).unwrap_or(&Cell::Empty);
        let site_code = cell(code_at).text().trim().to_string();
        if site_code.is_empty() {
            reject(rejections, Some(code_at), "no site code".into());
            continue;
        }
        let sampled_at = match cell(time_at) {
            Cell::Time(local) => in_china_time(*local),
            other => parse_sampled_at(&other.text()),
        };
        let Some(sampled_at) = sampled_at else {
            let text = cell(time_at).text();
            reject(
                rejections,
                Some(time_at),
                format!(
                    "sampled_at {text:?} is not a time (2025-06-03 09:30, China time, or RFC 3339)"
                ),
            );
            continue;
        };
        if sampled_at > latest_possible {
            reject(
                rejections,
                Some(time_at),
                format!("sampled_at {} is in the future", cell(time_at).text()),
            );
            continue;
        }
        let site_code: Arc<str> = Arc::from(site_code);
        match first_row_of.entry((site_code.clone(), sampled_at)) {
            Entry::Occupied(first) => {
                reject(
                    rejections,
                    None,
                    format!("row {} has the same site {site_code} and time", first.get()),
                );
                continue;
            }
            Entry::Vacant(slot) => {
                slot.insert(*row);
            }
        }
        let lab: Option<Arc<str>> = lab_at
            .map(|at| cell(at).text().trim().to_string())
            .filter(|l| !l.is_empty())
            .map(Arc::from);
        for (at, c) in columns.iter().enumerate() {
            let Column::Parameter(parameter, scale) = *c else {
                continue;
            };
            match parse_cell(parameter, &cell(at).text(), scale) {
                Ok(None) => {}
                Ok(Some(measured)) => values.push(ReadValue {
                    row: *row,
                    column: at,
                    site_code: site_code.clone(),
                    sampled_at,
                    parameter,
                    measured,
                    lab: lab.clone(),
                }),
                Err(problem @ (CellProblem::Unparseable(_) | CellProblem::Impossible(_))) => {
                    reject(rejections, Some(at), problem.to_string())
                }
            }
        }
    }
    values
}

/// What a regrading changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Regraded {
    /// sites whose stored grading changed
    pub sites: usize,
    pub alerts_opened: usize,
    pub alerts_closed: usize,
}

/// Grades the sites again from their latest sampling day, stores what changed, and opens and
/// closes their alerts (in the caller's transaction).
pub async fn regrade(
    conn: &mut PgConnection,
    actor: &Actor,
    site_ids: &[i64],
    batch_id: Option<i64>,
) -> sqlx::Result<Regraded> {
    if site_ids.is_empty() {
        return Ok(Regraded::default());
    }
    let sites = samples::sites_by_id(conn, site_ids).await?;
    let mut readings: HashMap<i64, Vec<samples::SampleValue>> = HashMap::new();
    for value in samples::latest_day(conn, site_ids, Utc::now() + Duration::days(1)).await? {
        readings.entry(value.site_id).or_default().push(value);
    }
    let graded: Vec<alerts::GradedSite> = sites
        .into_iter()
        .map(|site| {
            let day = readings.remove(&site.id).unwrap_or_default();
            alerts::GradedSite::new(site, &day)
        })
        .collect();
    let before: HashMap<i64, samples::StoredGrading> = samples::gradings(conn, site_ids)
        .await?
        .into_iter()
        .map(|g| (g.site_id, g))
        .collect();
    let changed: Vec<samples::StoredGrading> = graded
        .iter()
        .map(alerts::GradedSite::stored)
        .filter(|g| before.get(&g.site_id) != Some(g))
        .collect();
    samples::set_gradings(conn, &changed).await?;
    let (alerts_opened, alerts_closed) = alerts::evaluate(conn, actor, &graded, batch_id).await?;
    Ok(Regraded {
        sites: changed.len(),
        alerts_opened,
        alerts_closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_by_code_name_and_unit() {
        assert_eq!(column("site_code"), Ok(Column::SiteCode));
        assert_eq!(column("采样时间"), Ok(Column::SampledAt));
        assert_eq!(
            column("氨氮(mg/L)"),
            Ok(Column::Parameter(Parameter::Nh3n, 1.0))
        );
        assert_eq!(
            column("总磷（μg/L）"),
            Ok(Column::Parameter(Parameter::Tp, 0.001))
        );
        assert_eq!(
            column("pH(无量纲)"),
            Ok(Column::Parameter(Parameter::Ph, 1.0))
        );
        assert_eq!(
            column("水温(℃)"),
            Ok(Column::Parameter(Parameter::WaterTemp, 1.0))
        );
        assert_eq!(
            column("氨氮(mg/kg)").map_err(|e| e.to_string()),
            Err("unit \"mg/kg\" of column \"氨氮(mg/kg)\": nh3n is stored in mg/L".into())
        );
        assert_eq!(
            column("浊度").map_err(|e| e.to_string()),
            Err("unknown column \"浊度\": not site_code, sampled_at, lab or a parameter".into())
        );
    }
}
