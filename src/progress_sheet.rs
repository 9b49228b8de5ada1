//! The towns' monthly progress sheet (进度台账) in: a CSV or xlsx sheet with a project-code
//! column and any of status, progress, stage, actual start and end, responsible unit and note
//! updates those projects. Status changes go through the lifecycle; each row's change is one
//! history event per kind of write, noted with the file and the row; the whole sheet is one
//! transaction, refused as a whole when a row is. The summary lists every change, before → after,
//! so that a dry run is the preview.

use crate::db::audit;
use crate::db::events::Actor;
use crate::db::projects::{self, Project, WriteRefusedOrDb};
use crate::db::versioned::WriteRefused;
use crate::domain::ProjectStatus;
use crate::domain::project::{EDITABLE, FieldValue, parse_field};
use crate::ledger::{LedgerRejection, parse_day};
use crate::sheet::{Cell, SheetRows, as_utf8};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::PgConnection;
use std::collections::HashMap;

/// Rows a sheet may have: a city's projects run to tens of thousands.
pub const MAX_ROWS: usize = 100_000;
/// Changes and rejections an answer lists; the totals are always given.
pub const MAX_LISTED: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Code,
    Status,
    Progress,
    Stage,
    ActualStart,
    ActualEnd,
    ResponsibleUnit,
    Note,
}

const HEADERS: [(Column, &[&str]); 8] = [
    (
        Column::Code,
        &["code", "project_code", "项目编号", "项目代码", "项目编码"],
    ),
    (Column::Status, &["status", "状态", "项目状态"]),
    (
        Column::Progress,
        &["progress", "进度", "完成进度", "进度(%)", "进度（%）"],
    ),
    (Column::Stage, &["stage", "阶段", "当前阶段"]),
    (
        Column::ActualStart,
        &["actual_start", "实际开工日期", "开工日期"],
    ),
    (
        Column::ActualEnd,
        &["actual_end", "实际完工日期", "完工日期"],
    ),
    (Column::ResponsibleUnit, &["responsible_unit", "责任单位"]),
    (Column::Note, &["note", "备注"]),
];

/// The field each column edits.
fn field_of(column: Column) -> Option<&'static str> {
    match column {
        Column::Progress => Some("progress"),
        Column::Stage => Some("stage"),
        Column::ActualStart => Some("actual_start"),
        Column::ActualEnd => Some("actual_end"),
        Column::ResponsibleUnit => Some("responsible_unit"),
        Column::Code | Column::Status | Column::Note => None,
    }
}

/// A status as the sheets write it: its code or its Chinese name.
fn parse_status(text: &str) -> Result<ProjectStatus, String> {
    let status = match text.trim() {
        "计划" | "列入计划" | "未开工" => ProjectStatus::Planned,
        "前期准备" | "前期" | "前期手续" => ProjectStatus::Preparing,
        "在建" | "施工中" | "已开工" | "开工" => ProjectStatus::InProgress,
        "完工" | "已完工" | "完成" | "已完成" => ProjectStatus::Completed,
        "已验收" | "验收" | "销号" | "已销号" => ProjectStatus::Accepted,
        "暂缓" | "已暂缓" => ProjectStatus::Suspended,
        "取消" | "已取消" => ProjectStatus::Cancelled,
        code => code.parse().map_err(|_| {
            format!(
                "{code:?} is not a project status (计划, 前期准备, 在建, 完工, 已验收, 暂缓, 取消, or its code)"
            )
        })?,
    };
    Ok(status)
}

/// Progress as sheets write it: 60, "60%", or a percentage cell (0.6).
fn parse_progress(cell: &Cell) -> Result<Option<Value>, String> {
    let percent = match cell {
        Cell::Empty => return Ok(None),
        Cell::Number(n) if *n > 0.0 && *n < 1.0 => n * 100.0,
        Cell::Number(n) => *n,
        other => {
            let text = other.text();
            let trimmed = text.trim().trim_end_matches(['%', '％']);
            trimmed
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("{text:?} is not a progress from 0 to 100"))?
        }
    };
    if !(0.0..=100.0).contains(&percent) || (percent - percent.round()).abs() > 1e-6 {
        return Err(format!("{percent} is not a whole progress from 0 to 100"));
    }
    Ok(Some(json!(percent.round() as i64)))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectChange {
    /// the row in the sheet, the header being row 1
    pub row: usize,
    pub code: String,
    pub name: String,
    /// field (status among them) → {"before": …, "after": …}
    #[schema(value_type = Object)]
    pub changes: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ProgressSheetSummary {
    pub file_name: String,
    /// data rows read
    pub rows: usize,
    pub dry_run: bool,
    /// projects that change (or would, on a dry run)
    pub changed: usize,
    /// rows that change nothing
    pub unchanged: usize,
    /// columns the update does not read (a name, a remark of the town's own)
    pub ignored_columns: Vec<String>,
    /// the first 1,000 changes in sheet order
    pub changes: Vec<ProjectChange>,
    pub rejected: Vec<LedgerRejection>,
    pub rejected_total: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ProgressSheetError {
    #[error("{0}")]
    Unreadable(String),
    /// nothing was written; the summary names every problem
    #[error("{} row(s) or cell(s) rejected; no project was updated", .0.rejected_total)]
    Rejected(Box<ProgressSheetSummary>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One row's update, read and checked on its own.
struct RowUpdate {
    row: usize,
    code: String,
    status: Option<ProjectStatus>,
    fields: Vec<FieldValue>,
    note: Option<String>,
}

struct Rejections(ProgressSheetSummary);

impl Rejections {
    fn add(&mut self, row: usize, column: Option<&str>, reason: String) {
        self.0.rejected_total += 1;
        if self.0.rejected.len() < MAX_LISTED {
            self.0.rejected.push(LedgerRejection {
                row,
                column: column.map(str::to_string),
                reason,
            });
        }
    }
}

fn read_row(
    row: usize,
    cells: &[Cell],
    columns: &HashMap<Column, (usize, String)>,
    rejections: &mut Rejections,
) -> Option<RowUpdate> {
    let before = rejections.0.rejected_total;
    let cell = |c: Column| {
        columns
            .get(&c)
            .and_then(|(i, _)| cells.get(*i))
            .unwrap_or(&Cell::Empty)
    };
    let header = |c: Column| columns.get(&c).map(|(_, h)| h.as_str());
    let text = |c: Column| Some(cell(c).text().trim().to_string()).filter(|t| !t.is_empty());
    let Some(code) = text(Column::Code) else {
        rejections.add(
            row,
            header(Column::Code),
            "the row has no project code (项目编号)".into(),
        );
        return None;
    };
    let status = match text(Column::Status).map(|s| parse_status(&s)) {
        None => None,
        Some(Ok(status)) => Some(status),
        Some(Err(e)) => {
            rejections.add(row, header(Column::Status), e);
            None
        }
    };
    let mut fields = Vec::new();
    for (column, (_, name)) in columns {
        let Some(field) = field_of(*column) else {
            continue;
        };
        let value = match column {
            Column::Progress => parse_progress(cell(*column)),
            Column::ActualStart | Column::ActualEnd => {
                parse_day(cell(*column)).map(|day| day.map(|d| Value::String(d.to_string())))
            }
            _ => Ok(text(*column).map(Value::String)),
        };
        // an empty cell leaves the field as it is: sheets leave blank what did not change
        let value = match value {
            Ok(Some(value)) => value,
            Ok(None) => continue,
            Err(e) => {
                rejections.add(row, Some(name), e);
                continue;
            }
        };
        let Some((_, ty)) = EDITABLE.iter().find(|(f, _)| *f == field) else {
            continue;
        };
        match parse_field(*ty, &value) {
            Ok(json) => fields.push(FieldValue {
                field,
                ty: *ty,
                json,
            }),
            Err(why) => rejections.add(row, Some(name), format!("{field} {why}")),
        }
    }
    fields.sort_by_key(|f| EDITABLE.iter().position(|(name, _)| *name == f.field));
    (rejections.0.rejected_total == before).then_some(RowUpdate {
        row,
        code,
        status,
        fields,
        note: text(Column::Note),
    })
}

/// What a row changes on its project, computed once: the preview shows it and the write writes
/// it, so that the two cannot differ.
struct RowPlan {
    /// from, to
    transition: Option<(ProjectStatus, ProjectStatus)>,
    /// what the transition changes besides the status: the dates it fills, the reason
    transition_changes: Map<String, Value>,
    /// the fields the row sets (the filled dates among them), and their changes
    fields: Vec<FieldValue>,
    field_changes: Map<String, Value>,
}

impl RowPlan {
    fn is_empty(&self) -> bool {
        self.transition.is_none() && self.field_changes.is_empty()
    }

    /// Every change, the status first, as the preview lists them.
    fn preview(&self) -> Map<String, Value> {
        let mut all = Map::new();
        if let Some((from, to)) = self.transition {
            all.insert(
                "status".into(),
                json!({"before": from.as_str(), "after": to.as_str()}),
            );
        }
        all.extend(self.transition_changes.clone());
        all.extend(self.field_changes.clone());
        all
    }
}

fn field_value(field: &'static str, json: Value) -> Option<FieldValue> {
    let (_, ty) = EDITABLE.iter().find(|(f, _)| *f == field)?;
    Some(FieldValue {
        field,
        ty: *ty,
        json,
    })
}

/// What the row changes on the project: the status, with what a transition does besides (fills
/// the actual start or end date when empty, as of `today`; sets or clears the reason), and every
/// field whose value differs. Refuses a transition the lifecycle does not allow.
fn plan_of(update: &RowUpdate, project: &Project, today: &str) -> Result<RowPlan, String> {
    let before = project.fields();
    let mut plan = RowPlan {
        transition: None,
        transition_changes: Map::new(),
        fields: Vec::new(),
        field_changes: Map::new(),
    };
    let given = |field: &str| update.fields.iter().any(|f| f.field == field);
    if let (Some(to), Some(from)) = (update.status, project.status())
        && to != from
    {
        if !from.can_move_to(to) {
            let allowed: Vec<&str> = from.allowed_next().iter().map(|s| s.as_str()).collect();
            return Err(crate::db::versioned::transition_refused(
                "project",
                from.as_str(),
                to.as_str(),
                &allowed,
            ));
        }
        let reason = if to == ProjectStatus::Suspended {
            let Some(note) = &update.note else {
                return Err("a suspension needs its reason in the note column (备注)".into());
            };
            Some(note.clone())
        } else {
            None
        };
        plan.transition = Some((from, to));
        for (field, entering) in [
            ("actual_start", ProjectStatus::InProgress),
            ("actual_end", ProjectStatus::Completed),
        ] {
            if to == entering && before.get(field).is_none_or(Value::is_null) && !given(field) {
                let filled = Value::String(today.to_string());
                plan.transition_changes.insert(
                    field.into(),
                    json!({"before": Value::Null, "after": filled}),
                );
                plan.fields.extend(field_value(field, filled));
            }
        }
        if project.status_reason.as_deref() != reason.as_deref() {
            plan.transition_changes.insert(
                "status_reason".into(),
                json!({"before": project.status_reason, "after": reason}),
            );
        }
    }
    for f in &update.fields {
        let was = before.get(f.field).cloned().unwrap_or(Value::Null);
        if was != f.json {
            plan.field_changes
                .insert(f.field.into(), json!({"before": was, "after": f.json}));
            plan.fields.push(f.clone());
        }
    }
    Ok(plan)
}

fn refused_message(e: WriteRefusedOrDb) -> Result<String, sqlx::Error> {
    match e {
        WriteRefusedOrDb::Db(e) => Err(e),
        WriteRefusedOrDb::Refused(WriteRefused::Rule(message)) => Ok(message),
        WriteRefusedOrDb::Refused(WriteRefused::NotFound) => Ok("the project is gone".into()),
        WriteRefusedOrDb::Refused(WriteRefused::Stale(_)) => {
            Ok("the project changed while the sheet was applied".into())
        }
    }
}

/// Reads, checks and (unless `dry_run`) applies a progress sheet in the caller's transaction.
pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    bytes: &[u8],
    file_name: &str,
    dry_run: bool,
) -> Result<ProgressSheetSummary, ProgressSheetError> {
    let (text, _) = as_utf8(bytes, None).map_err(ProgressSheetError::Unreadable)?;
    let mut sheet =
        SheetRows::open(&text).map_err(|e| ProgressSheetError::Unreadable(e.to_string()))?;
    let mut columns: HashMap<Column, (usize, String)> = HashMap::new();
    let mut ignored_columns = Vec::new();
    for (i, header) in sheet.header.iter().enumerate() {
        let found = HEADERS
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(header.trim())));
        match found {
            Some((column, _)) if !columns.contains_key(column) => {
                columns.insert(*column, (i, header.clone()));
            }
            _ if !header.is_empty() => ignored_columns.push(header.clone()),
            _ => {}
        }
    }
    if !columns.contains_key(&Column::Code) {
        return Err(ProgressSheetError::Unreadable(format!(
            "the sheet has no project-code column (项目编号 or code); its columns: {}",
            sheet.header.join(", ")
        )));
    }
    if !columns
        .keys()
        .any(|c| matches!(c, Column::Status) || field_of(*c).is_some())
    {
        return Err(ProgressSheetError::Unreadable(
            "the sheet has nothing to update: give a status (状态), progress (进度), stage (阶段), actual start or end (实际开工日期, 实际完工日期) or responsible unit (责任单位) column".into(),
        ));
    }
    let mut rejections = Rejections(ProgressSheetSummary {
        file_name: file_name.to_string(),
        dry_run,
        ignored_columns,
        ..ProgressSheetSummary::default()
    });
    let mut updates = Vec::new();
    loop {
        let rows = sheet
            .next_rows(1000)
            .map_err(|e| ProgressSheetError::Unreadable(e.to_string()))?;
        if rows.is_empty() {
            break;
        }
        for (row, cells) in rows {
            rejections.0.rows += 1;
            if rejections.0.rows > MAX_ROWS {
                return Err(ProgressSheetError::Unreadable(format!(
                    "the sheet has more than {MAX_ROWS} rows: split it"
                )));
            }
            if let Some(update) = read_row(row, &cells, &columns, &mut rejections) {
                updates.push(update);
            }
        }
    }

    let codes: Vec<String> = updates.iter().map(|u| u.code.clone()).collect();
    let projects: HashMap<String, Project> = projects::by_codes_for_update(&mut *conn, &codes)
        .await?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    let today: String = sqlx::query_scalar!(r#"SELECT current_date::text AS "today!""#)
        .fetch_one(&mut *conn)
        .await?;
    let code_header = columns.get(&Column::Code).map(|(_, h)| h.as_str());
    let mut first_row: HashMap<&str, usize> = HashMap::new();
    let mut planned: Vec<(&RowUpdate, &Project, RowPlan)> = Vec::new();
    for update in &updates {
        if let Some(first) = first_row.get(update.code.as_str()) {
            rejections.add(
                update.row,
                code_header,
                format!("project {} is also on row {first}", update.code),
            );
            continue;
        }
        first_row.insert(&update.code, update.row);
        let Some(project) = projects.get(&update.code) else {
            rejections.add(
                update.row,
                code_header,
                format!("there is no project {}", update.code),
            );
            continue;
        };
        match plan_of(update, project, &today) {
            Err(reason) => rejections.add(update.row, None, reason),
            Ok(plan) if plan.is_empty() => rejections.0.unchanged += 1,
            Ok(plan) => planned.push((update, project, plan)),
        }
    }
    let mut summary = rejections.0;
    summary.changed = planned.len();
    summary.changes = planned
        .iter()
        .take(MAX_LISTED)
        .map(|(update, project, plan)| ProjectChange {
            row: update.row,
            code: project.code.clone(),
            name: project.name.clone(),
            changes: plan.preview(),
        })
        .collect();
    if summary.rejected_total > 0 {
        return Err(ProgressSheetError::Rejected(Box::new(summary)));
    }
    if dry_run {
        return Ok(summary);
    }
    let mut refusals = Vec::new();
    for (update, project, plan) in planned {
        let note = match &update.note {
            Some(note) => format!("imported from {file_name}, row {}: {note}", update.row),
            None => format!("imported from {file_name}, row {}", update.row),
        };
        let change = projects::PlannedChange {
            id: project.id,
            version: project.version,
            transition: plan.transition,
            status_reason: update.note.as_deref(),
            transition_changes: plan.transition_changes,
            fields: plan.fields,
            field_changes: plan.field_changes,
            note: &note,
        };
        if let Err(e) = projects::write_planned(conn, actor, change).await {
            refusals.push((update.row, refused_message(e)?));
        }
    }
    if !refusals.is_empty() {
        let mut rejections = Rejections(summary);
        for (row, reason) in refusals {
            rejections.add(row, None, reason);
        }
        return Err(ProgressSheetError::Rejected(Box::new(rejections.0)));
    }
    audit::record(
        conn,
        actor,
        "projects_update",
        &format!("file {file_name}"),
        json!({"file": file_name, "rows": summary.rows, "changed": summary.changed}),
    )
    .await?;
    Ok(summary)
}
