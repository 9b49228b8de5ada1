//! Rendering the report as Markdown and HTML (built-in minijinja layouts), CSV and xlsx.

use super::{Format, Item, Lang, Report};
use crate::csv_out::SpreadsheetCsv;
use minijinja::Environment;
use minijinja::value::Value as JinjaValue;
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};
use serde_json::Value;

/// The environment of the built-in layouts: code, not data, so no fuel (a large report takes
/// steps in proportion to its items).
fn layout_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.add_filter("md", markdown_cell);
    env.add_template("report.md", include_str!("report.md.j2"))
        .unwrap_or_else(|e| unreachable!("the built-in Markdown layout compiles: {e}"));
    env.add_template("report.html", include_str!("report.html.j2"))
        .unwrap_or_else(|e| unreachable!("the built-in HTML layout compiles: {e}"));
    env
}

/// Text safe inside a Markdown table cell.
fn markdown_cell(text: String) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn labels(lang: Lang) -> Value {
    let zh = lang == Lang::Zh;
    let pick = |a: &str, b: &str| Value::String(if zh { a } else { b }.to_string());
    let mut labels = serde_json::json!({
        "figure": pick("指标", "Figure"), "value": pick("数值", "Value"),
        "target": pick("目标", "Target"), "met": pick("达标", "met"), "not_met": pick("未达标", "not met"),
        "deadline": pick("截止", "deadline"), "by_status": pick("按状态", "By status"),
        "open_items": pick("未完成事项", "Items not yet done"), "items": pick("事项", "Items"),
        "code": pick("编号", "Code"), "name": pick("名称", "Name"), "place": pick("地点", "Place"),
        "status": pick("状态", "Status"), "stage": pick("阶段", "Stage"), "progress": pick("进度", "Progress"),
        "planned_end": pick("计划完成", "Planned end"), "unit": pick("责任单位", "Responsible unit"),
        "changes": pick("期间变化", "Changes in the period"), "since": pick("自", "since"),
        "new_projects": pick("新增项目", "New projects"), "transitions": pick("状态变更", "Status changes"),
        "completed": pick("完成事项", "Items completed"), "slipped": pick("逾期未完成", "Past their planned end"),
        "date": pick("日期", "Date"), "from": pick("原状态", "From"), "to": pick("新状态", "To"),
        "note": pick("说明", "Note"), "none": pick("无", "none"),
        "programme": pick("清单", "Programme"), "section": pick("板块", "Section"),
        "town": pick("镇街", "Town"), "category": pick("类别", "Category"),
        "received": pick("受理", "Received"), "resolved": pick("已解决", "Resolved"),
        "received_on": pick("受理/发现日期", "Received or found"), "title": pick("事项", "Case"),
        "latest_note": pick("最新进展", "Latest progress"),
    });
    // a second object: one json! of every label exceeds the macro's recursion limit
    let photos = serde_json::json!({
        "photos": pick("完成事项整治前后照片", "Completed items before and after"),
        "photos_shown": pick("附完成事项整治前后照片", "Before and after photos of completed items:"),
        "photos_left_out": pick("另有照片因篇幅未列出", "further photos left out for length:"),
        "photos_unreadable": pick("张照片无法读取", "photo(s) could not be read"),
        "photo_unit": pick("张", ""),
    });
    if let (Value::Object(all), Value::Object(photos)) = (&mut labels, photos) {
        all.extend(photos);
    }
    labels
}

/// The report in a text format, or the xlsx bytes.
pub fn render(report: &Report, format: Format) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Json => Ok(serde_json::to_vec_pretty(report)?),
        Format::Md | Format::Html => {
            let env = layout_env();
            let name = if format == Format::Md {
                "report.md"
            } else {
                "report.html"
            };
            let context = minijinja::context! {
                l => JinjaValue::from_serialize(labels(report.lang)),
                ..JinjaValue::from_serialize(report)
            };
            let text = env.get_template(name)?.render(context)?;
            Ok(text.into_bytes())
        }
        Format::Csv => csv(report),
        Format::Xlsx => Ok(xlsx(report)?),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One row per sentence, figure, target, status count, item and change.
fn csv(report: &Report) -> anyhow::Result<Vec<u8>> {
    let mut out = SpreadsheetCsv::new(Vec::new());
    out.row([
        "section",
        "programme",
        "row",
        "key",
        "label",
        "value",
        "target",
        "met",
    ])?;
    for s in &report.sections {
        out.row([
            s.code.as_str(),
            "",
            "text",
            "",
            s.title.as_str(),
            s.text.as_str(),
            "",
            "",
        ])?;
        for p in &s.programmes {
            let part = [s.code.as_str(), p.code.as_str()];
            out.row([
                part[0],
                part[1],
                "text",
                "",
                p.name.as_str(),
                p.text.as_str(),
                "",
                "",
            ])?;
            for f in &p.figures {
                out.row([
                    part[0],
                    part[1],
                    "figure",
                    &f.key,
                    &f.label,
                    &value_text(&f.value),
                    "",
                    "",
                ])?;
            }
            for t in &p.targets {
                out.row([
                    part[0],
                    part[1],
                    "target",
                    "",
                    &t.label,
                    &t.actual.to_string(),
                    &t.target.to_string(),
                    if t.met { "yes" } else { "no" },
                ])?;
            }
            for f in &p.by_status {
                out.row([
                    part[0],
                    part[1],
                    "status",
                    &f.key,
                    &f.label,
                    &value_text(&f.value),
                    "",
                    "",
                ])?;
            }
            for i in p.items.iter().filter(|i| !i.done) {
                out.row([
                    part[0],
                    part[1],
                    "open_item",
                    &i.code,
                    &i.name,
                    &i.status_label,
                    "",
                    "",
                ])?;
            }
        }
        for i in &s.items {
            out.row([
                s.code.as_str(),
                "",
                "item",
                &i.code,
                &i.name,
                &i.status_label,
                "",
                "",
            ])?;
        }
    }
    if let Some(c) = &report.changes {
        let rows = [
            ("new_project", &c.new_projects),
            ("transition", &c.transitions),
            ("completed", &c.completed),
        ];
        for (kind, list) in rows {
            for r in list {
                let value = format!(
                    "{} → {}",
                    r.from.as_deref().unwrap_or(""),
                    r.to.as_deref().unwrap_or("")
                );
                out.row([
                    "changes",
                    r.programme.as_deref().unwrap_or(""),
                    kind,
                    &r.code,
                    &r.name,
                    &value,
                    &r.date.to_string(),
                    "",
                ])?;
            }
        }
        for i in &c.slipped {
            let end = i.planned_end.map(|d| d.to_string()).unwrap_or_default();
            out.row([
                "changes",
                "",
                "slipped",
                &i.code,
                &i.name,
                &i.status_label,
                &end,
                "",
            ])?;
        }
    }
    out.into_inner()
}

/// A worksheet name Excel accepts: at most 31 characters, none of []:*?/\, unique.
fn sheet_name(wanted: &str, taken: &mut Vec<String>) -> String {
    let clean: String = wanted
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(28)
        .collect();
    let mut name = clean.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{clean}~{n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

fn write_items(
    sheet: &mut Worksheet,
    row: &mut u32,
    items: &[Item],
    l: &Value,
    bold: &CellFormat,
) -> Result<(), XlsxError> {
    let heads = [
        "code",
        "name",
        "place",
        "status",
        "stage",
        "progress",
        "planned_end",
        "unit",
    ];
    for (col, head) in heads.iter().enumerate() {
        sheet.write_string_with_format(*row, col as u16, value_text(&l[*head]), bold)?;
    }
    for i in items {
        *row += 1;
        sheet.write_string(*row, 0, &i.code)?;
        sheet.write_string(*row, 1, &i.name)?;
        sheet.write_string(*row, 2, &i.place)?;
        sheet.write_string(*row, 3, &i.status_label)?;
        sheet.write_string(*row, 4, i.stage_label.as_deref().unwrap_or(""))?;
        sheet.write_number(*row, 5, i.progress as f64)?;
        sheet.write_string(
            *row,
            6,
            i.planned_end.map(|d| d.to_string()).unwrap_or_default(),
        )?;
        sheet.write_string(*row, 7, i.responsible_unit.as_deref().unwrap_or(""))?;
    }
    *row += 2;
    Ok(())
}

/// A summary sheet with every sentence, then one sheet per programme (figures, targets, counts by
/// status, every item), one per section's own items, and the changes.
fn xlsx(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let l = labels(report.lang);
    let bold = CellFormat::new().set_bold();
    let wrap = CellFormat::new().set_text_wrap();
    let mut workbook = Workbook::new();
    let mut taken = Vec::new();

    let summary = workbook.add_worksheet();
    summary.set_name(sheet_name(
        if report.lang == Lang::Zh {
            "报告"
        } else {
            "Report"
        },
        &mut taken,
    ))?;
    summary.set_column_width(0, 24)?;
    summary.set_column_width(1, 100)?;
    summary.write_string_with_format(0, 0, &report.title, &bold)?;
    let mut row = 2;
    for s in &report.sections {
        summary.write_string_with_format(row, 0, &s.title, &bold)?;
        summary.write_string_with_format(row, 1, &s.text, &wrap)?;
        row += 1;
        for p in &s.programmes {
            summary.write_string(row, 0, &p.name)?;
            summary.write_string_with_format(row, 1, &p.text, &wrap)?;
            row += 1;
        }
        row += 1;
    }

    for s in &report.sections {
        for p in &s.programmes {
            let sheet = workbook.add_worksheet();
            sheet.set_name(sheet_name(&p.code, &mut taken))?;
            sheet.set_column_width(0, 18)?;
            sheet.set_column_width(1, 40)?;
            sheet.set_column_width(2, 24)?;
            sheet.write_string_with_format(0, 0, &p.name, &bold)?;
            sheet.write_string_with_format(1, 0, &p.text, &wrap)?;
            let mut row = 3;
            sheet.write_string_with_format(row, 0, value_text(&l["figure"]), &bold)?;
            sheet.write_string_with_format(row, 1, value_text(&l["value"]), &bold)?;
            for f in &p.figures {
                row += 1;
                sheet.write_string(row, 0, &f.label)?;
                match f.value.as_f64() {
                    Some(n) => sheet.write_number(row, 1, n)?,
                    None => sheet.write_string(row, 1, value_text(&f.value))?,
                };
            }
            for t in &p.targets {
                row += 1;
                sheet.write_string(row, 0, &t.label)?;
                sheet.write_number(row, 1, t.actual)?;
                sheet.write_string(
                    row,
                    2,
                    format!("{} {}%", value_text(&l["target"]), t.target),
                )?;
                sheet.write_string(
                    row,
                    3,
                    value_text(&l[if t.met { "met" } else { "not_met" }]),
                )?;
            }
            row += 2;
            sheet.write_string_with_format(row, 0, value_text(&l["by_status"]), &bold)?;
            for f in &p.by_status {
                row += 1;
                sheet.write_string(row, 0, &f.label)?;
                sheet.write_number(row, 1, f.value.as_f64().unwrap_or(0.0))?;
            }
            row += 2;
            write_items(sheet, &mut row, &p.items, &l, &bold)?;
        }
        if !s.items.is_empty() {
            let sheet = workbook.add_worksheet();
            sheet.set_name(sheet_name(&s.title, &mut taken))?;
            let mut row = 0;
            write_items(sheet, &mut row, &s.items, &l, &bold)?;
        }
    }

    write_case_sheets(&mut workbook, report, &l, &bold, &mut taken)?;

    if let Some(c) = &report.changes {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(&value_text(&l["changes"]), &mut taken))?;
        let mut row = 0;
        let lists = [
            ("new_projects", &c.new_projects),
            ("transitions", &c.transitions),
            ("completed", &c.completed),
        ];
        for (title, list) in lists {
            sheet.write_string_with_format(row, 0, value_text(&l[title]), &bold)?;
            for r in list.iter() {
                row += 1;
                sheet.write_string(row, 0, r.date.to_string())?;
                sheet.write_string(row, 1, &r.code)?;
                sheet.write_string(row, 2, &r.name)?;
                sheet.write_string(row, 3, r.from.as_deref().unwrap_or(""))?;
                sheet.write_string(row, 4, r.to.as_deref().unwrap_or(""))?;
                sheet.write_string(row, 5, r.note.as_deref().unwrap_or(""))?;
            }
            row += 2;
        }
        sheet.write_string_with_format(row, 0, value_text(&l["slipped"]), &bold)?;
        row += 1;
        write_items(sheet, &mut row, &c.slipped, &l, &bold)?;
    }
    workbook.save_to_buffer()
}

/// One sheet per kind of case: petitions as counts per town and category (the report is
/// public and a petition is not), the other kinds case by case.
fn write_case_sheets(
    workbook: &mut Workbook,
    report: &Report,
    l: &Value,
    bold: &CellFormat,
    taken: &mut Vec<String>,
) -> Result<(), XlsxError> {
    use super::casework::{category_label, kind_title};
    use crate::domain::casework::CaseKind;
    let lang = report.lang;
    let cw = &report.casework;
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(kind_title(CaseKind::Petition, lang), taken))?;
    for (col, label) in ["town", "category", "received", "resolved"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, col as u16, value_text(&l[*label]), bold)?;
    }
    for (i, c) in cw.petitions_by_town.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &c.town)?;
        sheet.write_string(row, 1, category_label(&c.category, lang))?;
        sheet.write_number(row, 2, c.received as f64)?;
        sheet.write_number(row, 3, c.resolved as f64)?;
    }
    let kinds = [
        (CaseKind::HiddenDanger, &cw.dangers),
        (CaseKind::InspectionFinding, &cw.findings),
        (CaseKind::ProminentProblem, &cw.prominent),
    ];
    for (kind, rows) in kinds {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(kind_title(kind, lang), taken))?;
        sheet.set_column_width(3, 40)?;
        sheet.set_column_width(7, 60)?;
        let headers = [
            "code",
            "received_on",
            "category",
            "title",
            "status",
            "deadline",
            "unit",
            "latest_note",
        ];
        for (col, label) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, value_text(&l[*label]), bold)?;
        }
        for (i, c) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            sheet.write_string(row, 0, &c.code)?;
            sheet.write_string(row, 1, day(c.received_on))?;
            sheet.write_string(row, 2, category_label(&c.category, lang))?;
            sheet.write_string(row, 3, &c.title)?;
            sheet.write_string(row, 4, &c.status_label)?;
            sheet.write_string(row, 5, day(c.deadline))?;
            sheet.write_string(row, 6, c.responsible_unit.as_deref().unwrap_or(""))?;
            sheet.write_string(row, 7, c.latest_note.as_deref().unwrap_or(""))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_legal_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(sheet_name("a/b", &mut taken), "a_b");
        assert_eq!(sheet_name("A_B", &mut taken), "A_B~2");
        let long = sheet_name(&"长".repeat(40), &mut taken);
        assert!(long.chars().count() <= 31);
    }
}
