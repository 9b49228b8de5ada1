//! The bureau's casework ledgers (台账) in: a CSV or xlsx sheet of one kind of case, its columns
//! named by code or by the usual Chinese headers, each row checked as a whole (coordinates in
//! any input CRS, or a site code for the place), then written all or nothing, every case with
//! the history its ledger records.

use crate::db::audit;
use crate::db::cases::{self, NewCase};
use crate::db::events::Actor;
use crate::domain::InputCrs;
use crate::domain::casework::{
    CaseCategory, CaseFields, CaseKind, CaseSource, CaseStatus, LedgerWords, PointGeometry,
    PointType, Severity,
};
use crate::domain::choice::Choice;
use crate::domain::coords::gcj02_to_wgs84;
use crate::sheet::{Cell, SheetError, SheetRows};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};

/// How many rejections an answer lists; the total is always given.
pub const MAX_LISTED_REJECTIONS: usize = 1000;
/// Rows a ledger may have: a district's ledgers run to thousands, a city's to tens of thousands.
pub const MAX_ROWS: usize = 200_000;
/// Rows of a preview.
const PREVIEW_ROWS: usize = 50;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Code,
    ReceivedOn,
    Source,
    Category,
    Title,
    Description,
    Address,
    Lon,
    Lat,
    SiteCode,
    Town,
    ResponsibleUnit,
    Deadline,
    Status,
    Resolution,
    ResolvedOn,
    Severity,
    Inspection,
    ComplainantName,
    ComplainantPhone,
    RepeatOf,
    ProjectCode,
    Progress,
    Blank,
}

/// Every column by its code and the headers ledgers use for it.
const HEADERS: [(Column, &[&str]); 23] = [
    (
        Column::Code,
        &["code", "编号", "案件编号", "信访编号", "序号编号"],
    ),
    (
        Column::ReceivedOn,
        &[
            "received_on",
            "受理日期",
            "受理时间",
            "发现日期",
            "发现时间",
            "交办日期",
            "日期",
        ],
    ),
    (
        Column::Source,
        &["source", "来源", "渠道", "信访渠道", "来源渠道"],
    ),
    (
        Column::Category,
        &["category", "类别", "问题类别", "污染类别"],
    ),
    (Column::Title, &["title", "标题", "事项", "问题"]),
    (
        Column::Description,
        &[
            "description",
            "内容",
            "描述",
            "问题描述",
            "信访内容",
            "主要内容",
        ],
    ),
    (
        Column::Address,
        &["address", "地址", "位置", "地址/位置", "地点"],
    ),
    (Column::Lon, &["lon", "x", "经度"]),
    (Column::Lat, &["lat", "y", "纬度"]),
    (
        Column::SiteCode,
        &["site_code", "站点编码", "点位编码", "企业编码", "对象编码"],
    ),
    (
        Column::Town,
        &["town", "town_code", "镇街", "街道", "属地", "镇(街道)"],
    ),
    (
        Column::ResponsibleUnit,
        &["responsible_unit", "责任单位", "承办单位"],
    ),
    (
        Column::Deadline,
        &["deadline", "办理期限", "整改期限", "期限"],
    ),
    (Column::Status, &["status", "办理状态", "整改状态", "状态"]),
    (
        Column::Resolution,
        &["resolution", "办结情况", "整改情况", "处理结果", "答复"],
    ),
    (
        Column::ResolvedOn,
        &["resolved_on", "办结日期", "整改完成日期", "完成日期"],
    ),
    (
        Column::Severity,
        &["severity", "隐患等级", "严重程度", "等级"],
    ),
    (
        Column::Inspection,
        &["inspection", "检查", "检查名称", "检查活动"],
    ),
    (
        Column::ComplainantName,
        &["complainant_name", "信访人", "来信人", "反映人"],
    ),
    (
        Column::ComplainantPhone,
        &["complainant_phone", "联系电话", "电话"],
    ),
    (
        Column::RepeatOf,
        &["repeat_of", "重复件", "重复信访", "重复编号"],
    ),
    (
        Column::ProjectCode,
        &["project_code", "项目编号", "整改项目"],
    ),
    (
        Column::Progress,
        &["progress", "最新进展", "进展情况", "进展"],
    ),
];

fn column_of(header: &str) -> Option<Column> {
    let header = header.trim();
    if header.is_empty() {
        return Some(Column::Blank);
    }
    HEADERS
        .iter()
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(header)))
        .map(|(column, _)| *column)
}

#[derive(Debug, Clone)]
pub struct LedgerImportOptions {
    pub kind: CaseKind,
    /// the CRS of the coordinates columns
    pub crs: InputCrs,
    /// check and answer without writing anything
    pub dry_run: bool,
    pub file_name: Option<String>,
}

/// One bad row or cell.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LedgerRejection {
    /// the row number in the sheet, the header being row 1
    pub row: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub reason: String,
}

/// A row as it will be stored, for the preview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerPreviewRow {
    pub row: usize,
    pub code: String,
    pub received_on: NaiveDate,
    pub category: String,
    pub title: String,
    pub status: String,
    /// "point" or "site <code>"
    pub place: String,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct LedgerImportSummary {
    pub kind: String,
    /// data rows read
    pub rows: usize,
    pub dry_run: bool,
    /// cases stored (none for a dry run or a refused ledger)
    pub inserted: usize,
    /// the rows' cases per status
    #[schema(value_type = Object)]
    pub by_status: HashMap<String, usize>,
    /// the first rows as they would be stored
    pub preview: Vec<LedgerPreviewRow>,
    /// the first rejections (at most 1000), in sheet order
    pub rejected: Vec<LedgerRejection>,
    pub rejected_total: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerImportError {
    #[error(transparent)]
    Unreadable(#[from] SheetError),
    /// nothing was written; the summary names every problem
    #[error("{} row(s) or cell(s) rejected; nothing was imported", .0.rejected_total)]
    Rejected(Box<LedgerImportSummary>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A row read and checked on its own; links to sites, towns, projects and earlier cases are
/// checked against the database afterwards.
struct LedgerRow {
    row: usize,
    code: String,
    status: CaseStatus,
    fields: CaseFields,
    /// projected or GCJ-02 input still to be brought to WGS84
    raw_point: Option<(f64, f64)>,
    site_code: Option<String>,
    town: Option<String>,
    repeat_of_code: Option<String>,
    project_code: Option<String>,
    resolved_on: Option<NaiveDate>,
    progress: Option<String>,
}

struct Rejections {
    listed: Vec<LedgerRejection>,
    total: usize,
}

impl Rejections {
    fn add(&mut self, row: usize, column: Option<&str>, reason: String) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_REJECTIONS {
            self.listed.push(LedgerRejection {
                row,
                column: column.map(str::to_string),
                reason,
            });
        }
    }
}

/// A day as ledgers write it: a date cell, 2025-01-05, 2025/1/5, 2025.1.5 or 2025年1月5日.
pub(crate) fn parse_day(cell: &Cell) -> Result<Option<NaiveDate>, String> {
    let text = match cell {
        Cell::Empty => return Ok(None),
        Cell::Time(t) => return Ok(Some(t.date())),
        Cell::Number(_) => return Err(format!("{} is not a date", cell.text())),
        Cell::Text(t) => t.trim(),
    };
    if text.is_empty() {
        return Ok(None);
    }
    let day_part = text.split([' ', 'T']).next().unwrap_or(text);
    let normalised: String = day_part
        .replace(['年', '月', '/', '.'], "-")
        .trim_end_matches('日')
        .to_string();
    NaiveDate::parse_from_str(&normalised, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{text:?} is not a date (write 2025-01-05 or 2025年1月5日)"))
}

fn parse_coordinate(cell: &Cell) -> Result<Option<f64>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(n) if n.is_finite() => Ok(Some(*n)),
        other => {
            let text = other.text();
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Some(n)),
                _ => Err(format!("{text:?} is not a number")),
            }
        }
    }
}

fn text_of(cells: &[Cell], at: Option<usize>) -> Option<String> {
    at.and_then(|i| cells.get(i))
        .map(|c| c.text().trim().to_string())
        .filter(|t| !t.is_empty())
}

pub(crate) fn first_chars(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// Reads a row of the ledger; the reasons name the column.
fn read_row(
    kind: CaseKind,
    crs: InputCrs,
    columns: &HashMap<Column, (usize, String)>,
    row: usize,
    cells: &[Cell],
    rejections: &mut Rejections,
) -> Option<LedgerRow> {
    let before = rejections.total;
    let at = |c: Column| columns.get(&c).map(|(i, _)| *i);
    let header = |c: Column| columns.get(&c).map(|(_, h)| h.as_str());
    let cell = |c: Column| at(c).and_then(|i| cells.get(i)).unwrap_or(&Cell::Empty);
    let text = |c: Column| text_of(cells, at(c));
    let mut reject = |c: Column, reason: String| rejections.add(row, header(c), reason);

    let code = text(Column::Code);
    if code.is_none() {
        reject(Column::Code, "a case needs its code (编号)".into());
    }
    let received_on = match parse_day(cell(Column::ReceivedOn)) {
        Ok(Some(day)) => Some(day),
        Ok(None) => {
            reject(
                Column::ReceivedOn,
                "a case needs the date it was received or found".into(),
            );
            None
        }
        Err(e) => {
            reject(Column::ReceivedOn, e);
            None
        }
    };
    let choice = |c: Column, default: Option<&str>| -> Option<String> {
        text(c).or(default.map(str::to_string))
    };
    let default_source = match kind {
        CaseKind::Petition => None,
        CaseKind::HiddenDanger | CaseKind::InspectionFinding => Some("inspection"),
        CaseKind::ProminentProblem => Some("higher_authority"),
    };
    let source = choice(Column::Source, default_source);
    let category = choice(Column::Category, None);
    let status = choice(Column::Status, Some("received"));
    let severity = choice(Column::Severity, None);
    let source = match source.map(|s| CaseSource::from_ledger(&s)) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            reject(Column::Source, e);
            None
        }
        None => {
            reject(Column::Source, "a petition needs its channel (来源)".into());
            None
        }
    };
    let category = match category.map(|s| CaseCategory::from_ledger(&s)) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            reject(Column::Category, e);
            None
        }
        None => {
            reject(Column::Category, "a case needs its category (类别)".into());
            None
        }
    };
    let status = match status.map(|s| CaseStatus::from_ledger(&s)) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            reject(Column::Status, e);
            None
        }
        None => None,
    };
    let severity = match severity.map(|s| Severity::from_ledger(&s)) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            reject(Column::Severity, e);
            None
        }
        None => None,
    };
    let mut day = |c: Column| match parse_day(cell(c)) {
        Ok(d) => d,
        Err(e) => {
            reject(c, e);
            None
        }
    };
    let deadline = day(Column::Deadline);
    let resolved_on = day(Column::ResolvedOn);
    let mut coordinate = |c: Column| match parse_coordinate(cell(c)) {
        Ok(v) => v,
        Err(e) => {
            reject(c, e);
            None
        }
    };
    let raw_point = match (coordinate(Column::Lon), coordinate(Column::Lat)) {
        (Some(x), Some(y)) => match crs.check_coordinate(x, y) {
            Ok(()) => Some((x, y)),
            Err(e) => {
                reject(Column::Lon, e.to_string());
                None
            }
        },
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            reject(
                Column::Lon,
                "give both coordinates (经度 and 纬度) or neither".into(),
            );
            None
        }
    };
    let site_code = text(Column::SiteCode);
    if raw_point.is_none() && site_code.is_none() && rejections.total == before {
        rejections.add(
            row,
            None,
            "a case needs a place: coordinates (经度, 纬度) or a site code (站点编码)".into(),
        );
    }
    let description = text(Column::Description);
    let title = text(Column::Title)
        .or_else(|| description.as_deref().map(|d| first_chars(d, 60)))
        .or_else(|| text(Column::Address))
        .unwrap_or_default();
    if rejections.total > before {
        return None;
    }
    let (Some(code), Some(received_on), Some(source), Some(category), Some(status)) =
        (code, received_on, source, category, status)
    else {
        return None;
    };
    let fields = CaseFields {
        received_on,
        source,
        category,
        title,
        description,
        geometry: None,
        site_id: None,
        address: text(Column::Address),
        town_code: None,
        responsible_unit: text(Column::ResponsibleUnit),
        deadline,
        severity,
        inspection: text(Column::Inspection),
        resolution: text(Column::Resolution),
        complainant_name: text(Column::ComplainantName),
        complainant_phone: text(Column::ComplainantPhone),
        repeat_of: None,
        project_id: None,
    };
    let fields = match fields.checked(kind) {
        Ok(f) => f,
        Err(e) => {
            rejections.add(row, None, e);
            return None;
        }
    };
    if status.is_resolved() && fields.resolution.is_none() {
        rejections.add(
            row,
            header(Column::Resolution).or(Some("resolution")),
            format!("a {status} case needs its resolution (办结情况)"),
        );
        return None;
    }
    if resolved_on.is_some_and(|d| d < received_on) {
        rejections.add(
            row,
            header(Column::ResolvedOn),
            "resolved before it was received".into(),
        );
        return None;
    }
    Some(LedgerRow {
        row,
        code,
        status,
        fields,
        raw_point,
        site_code,
        town: text(Column::Town),
        repeat_of_code: text(Column::RepeatOf),
        project_code: text(Column::ProjectCode),
        resolved_on,
        progress: text(Column::Progress),
    })
}

/// 09:00 in China on `day`, when a ledger's day begins to count.
fn morning_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(1, 0, 0).unwrap_or(NaiveTime::MIN))
        .and_utc()
}

/// Reads, checks and (unless a dry run) stores a ledger in the caller's transaction. Nothing
/// is written when any row is refused.
pub async fn import(
    conn: &mut PgConnection,
    actor: &Actor,
    bytes: &[u8],
    options: &LedgerImportOptions,
) -> Result<LedgerImportSummary, LedgerImportError> {
    let mut sheet = SheetRows::open(bytes)?;
    let mut rejections = Rejections {
        listed: Vec::new(),
        total: 0,
    };
    let mut columns: HashMap<Column, (usize, String)> = HashMap::new();
    for (i, header) in sheet.header.iter().enumerate() {
        match column_of(header) {
            Some(Column::Blank) => {}
            Some(column) => {
                if columns.insert(column, (i, header.clone())).is_some() {
                    rejections.add(1, Some(header), format!("column {header:?} is given twice"));
                }
            }
            None => rejections.add(
                1,
                Some(header),
                format!("unknown column {header:?}: see the ledger columns in docs/casework.md"),
            ),
        }
    }
    let mut summary = LedgerImportSummary {
        kind: options.kind.name().into(),
        dry_run: options.dry_run,
        ..LedgerImportSummary::default()
    };
    let mut rows = Vec::new();
    loop {
        let batch = sheet.next_rows(2000)?;
        if batch.is_empty() {
            break;
        }
        for (row, cells) in batch {
            summary.rows += 1;
            if summary.rows > MAX_ROWS {
                rejections.add(row, None, format!("a ledger has at most {MAX_ROWS} rows"));
                break;
            }
            if let Some(parsed) = read_row(
                options.kind,
                options.crs,
                &columns,
                row,
                &cells,
                &mut rejections,
            ) {
                rows.push(parsed);
            }
        }
        if summary.rows > MAX_ROWS {
            break;
        }
    }
    resolve_links(conn, options, &mut rows, &mut rejections).await?;
    for r in &rows {
        *summary.by_status.entry(r.status.name().into()).or_default() += 1;
    }
    summary.preview = rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|r| LedgerPreviewRow {
            row: r.row,
            code: r.code.clone(),
            received_on: r.fields.received_on,
            category: r.fields.category.name().into(),
            title: r.fields.title.clone(),
            status: r.status.name().into(),
            place: match (&r.fields.geometry, &r.site_code) {
                (Some(_), _) => "point".into(),
                (None, Some(code)) => format!("site {code}"),
                (None, None) => String::new(),
            },
        })
        .collect();
    summary.rejected_total = rejections.total;
    summary.rejected = rejections.listed;
    if summary.rejected_total > 0 {
        return Err(LedgerImportError::Rejected(Box::new(summary)));
    }
    if options.dry_run {
        return Ok(summary);
    }
    store(conn, actor, options.kind, &rows).await?;
    summary.inserted = rows.len();
    audit::record(
        conn,
        actor,
        "cases.import",
        &format!("kind {}", options.kind),
        json!({ "file": options.file_name, "cases": rows.len(), "by_status": summary.by_status }),
    )
    .await?;
    Ok(summary)
}

/// Brings points to WGS84 and resolves the codes the rows name (sites, towns, projects, earlier
/// cases); refuses codes that are already stored or repeated within the ledger.
async fn resolve_links(
    conn: &mut PgConnection,
    options: &LedgerImportOptions,
    rows: &mut [LedgerRow],
    rejections: &mut Rejections,
) -> sqlx::Result<()> {
    let codes: Vec<String> = rows.iter().map(|r| r.code.clone()).collect();
    let stored: HashSet<String> =
        sqlx::query_scalar!("SELECT code FROM casework WHERE code = ANY($1)", &codes)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let site_codes: Vec<String> = rows.iter().filter_map(|r| r.site_code.clone()).collect();
    let sites: HashMap<String, i64> = sqlx::query!(
        "SELECT code, id FROM site WHERE code = ANY($1)",
        &site_codes
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.id))
    .collect();
    let towns: Vec<(String, String)> =
        sqlx::query!("SELECT code, name FROM admin_area WHERE level = 'town' ORDER BY code")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
    let project_codes: Vec<String> = rows.iter().filter_map(|r| r.project_code.clone()).collect();
    let projects: HashMap<String, i64> = sqlx::query!(
        "SELECT code, id FROM project WHERE code = ANY($1)",
        &project_codes
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.id))
    .collect();
    let repeat_codes: Vec<String> = rows
        .iter()
        .filter_map(|r| r.repeat_of_code.clone())
        .collect();
    let stored_petitions: HashMap<String, i64> = sqlx::query!(
        "SELECT code, id FROM casework WHERE kind = 'petition' AND code = ANY($1)",
        &repeat_codes
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.id))
    .collect();

    let mut seen: HashSet<String> = HashSet::new();
    for r in rows.iter_mut() {
        if stored.contains(&r.code) {
            rejections.add(
                r.row,
                None,
                format!("a case with code {} is already stored", r.code),
            );
        }
        if !seen.insert(r.code.clone()) {
            rejections.add(
                r.row,
                None,
                format!("code {} is given twice in the ledger", r.code),
            );
        }
        if let Some(code) = &r.site_code {
            match sites.get(code) {
                Some(id) => r.fields.site_id = Some(*id),
                None => rejections.add(r.row, None, format!("there is no site {code}")),
            }
        }
        if let Some(town) = &r.town {
            match towns
                .iter()
                .find(|(code, name)| code == town || name == town)
            {
                Some((code, _)) => r.fields.town_code = Some(code.clone()),
                None => rejections.add(r.row, None, format!("there is no town {town}")),
            }
        }
        if let Some(code) = &r.project_code {
            match projects.get(code) {
                Some(id) => r.fields.project_id = Some(*id),
                None => rejections.add(r.row, None, format!("there is no project {code}")),
            }
        }
        if let Some(code) = &r.repeat_of_code {
            // an earlier row of this ledger is resolved when stored
            let earlier_row = seen.contains(code) && code != &r.code;
            if options.kind != CaseKind::Petition {
                rejections.add(r.row, None, "only petitions repeat earlier ones".into());
            } else if !stored_petitions.contains_key(code) && !earlier_row {
                rejections.add(
                    r.row,
                    None,
                    format!("repeats {code}, which is neither stored nor an earlier row"),
                );
            } else if let Some(id) = stored_petitions.get(code) {
                r.fields.repeat_of = Some(*id);
            }
        }
        if let Some((x, y)) = r.raw_point {
            let (lon, lat) = match options.crs {
                InputCrs::Wgs84 | InputCrs::Cgcs2000 => (x, y),
                InputCrs::Gcj02 => gcj02_to_wgs84(x, y),
                InputCrs::Cgcs2000Gk120 | InputCrs::Cgcs2000Gk40 => {
                    let srid = options.crs.postgis_srid().unwrap_or(4326);
                    crate::db::spatial::to_wgs84(&mut *conn, x, y, srid).await?
                }
            };
            r.fields.geometry = Some(PointGeometry {
                kind: PointType::Point,
                coordinates: [lon, lat],
            });
        }
    }
    Ok(())
}

/// Stores the checked rows in sheet order, each with the history its ledger records: created
/// on the day received, then the ledger's status on the day resolved (or received).
async fn store(
    conn: &mut PgConnection,
    actor: &Actor,
    kind: CaseKind,
    rows: &[LedgerRow],
) -> Result<(), LedgerImportError> {
    let mut ids: HashMap<&str, i64> = HashMap::new();
    for r in rows {
        let mut fields = r.fields.clone();
        if let Some(code) = &r.repeat_of_code
            && fields.repeat_of.is_none()
        {
            fields.repeat_of = ids.get(code.as_str()).copied();
        }
        let new = NewCase {
            kind,
            code: Some(r.code.clone()),
            status: CaseStatus::Received,
            fields,
            created_at: Some(morning_of(r.fields.received_on)),
        };
        let case = cases::create(conn, actor, &new, Some("台账导入 (ledger import)"))
            .await
            .map_err(|e| match e {
                cases::WriteRefusedOrDb::Db(e) => LedgerImportError::Database(e),
                cases::WriteRefusedOrDb::Refused(refusal) => {
                    LedgerImportError::Rejected(Box::new(LedgerImportSummary {
                        kind: kind.name().into(),
                        rows: rows.len(),
                        rejected: vec![LedgerRejection {
                            row: r.row,
                            column: None,
                            reason: match refusal {
                                cases::WriteRefused::Rule(reason) => reason,
                                _ => "the case could not be stored".into(),
                            },
                        }],
                        rejected_total: 1,
                        ..LedgerImportSummary::default()
                    }))
                }
            })?;
        ids.insert(r.code.as_str(), case.id);
        if r.status != CaseStatus::Received {
            let day = match r.resolved_on {
                Some(day) if r.status.is_resolved() => day,
                _ => r.fields.received_on,
            };
            let note = r
                .progress
                .as_deref()
                .unwrap_or("台账记录的状态 (status from the ledger)");
            // an hour after the case was created on that day, so the order is kept
            let at = morning_of(day) + chrono::Duration::hours(1);
            cases::record_ledger_status(conn, actor, case.id, r.status, at, note).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_days_in_every_usual_form() {
        let day = |t: &str| parse_day(&Cell::Text(t.into()));
        let expected = Ok(Some(NaiveDate::from_ymd_opt(2025, 1, 5).unwrap()));
        assert_eq!(day("2025-01-05"), expected);
        assert_eq!(day("2025/1/5"), expected);
        assert_eq!(day("2025.1.5"), expected);
        assert_eq!(day("2025年1月5日"), expected);
        assert_eq!(day("2025-01-05 14:30"), expected);
        assert_eq!(day(""), Ok(None));
        assert_eq!(
            day("五号"),
            Err("\"五号\" is not a date (write 2025-01-05 or 2025年1月5日)".into())
        );
    }

    #[test]
    fn headers_by_code_or_in_chinese() {
        assert_eq!(column_of("编号"), Some(Column::Code));
        assert_eq!(column_of("地址/位置"), Some(Column::Address));
        assert_eq!(column_of("Lon"), Some(Column::Lon));
        assert_eq!(column_of("办结情况"), Some(Column::Resolution));
        assert_eq!(column_of(""), Some(Column::Blank));
        assert_eq!(column_of("备注栏"), None);
    }
}
