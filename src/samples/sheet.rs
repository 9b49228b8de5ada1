//! Reading a lab's sheet, CSV or xlsx, into a header and rows of cells; what the cells mean is
//! the importer's business.

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDateTime;
use std::io::Cursor;

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// a date or date-time cell of a workbook (a wall-clock time, no zone)
    Time(NaiveDateTime),
}

impl Cell {
    /// The cell as text: numbers in their shortest exact form.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// A sheet: its header and its rows, each with its row number in the file (1-based, the header
/// included, as a spreadsheet shows it).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<Cell>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

impl SheetFormat {
    /// xlsx files are zip archives; anything else is read as CSV.
    pub fn sniff(bytes: &[u8]) -> SheetFormat {
        if bytes.starts_with(b"PK\x03\x04") {
            SheetFormat::Xlsx
        } else {
            SheetFormat::Csv
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("the file is not a readable CSV file: {0}")]
    Csv(String),
    #[error("the file is not a readable xlsx workbook: {0}")]
    Xlsx(String),
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the sheet has no header row")]
    NoHeader,
}

pub fn read(bytes: &[u8]) -> Result<Sheet, SheetError> {
    let mut sheet = match SheetFormat::sniff(bytes) {
        SheetFormat::Csv => read_csv(bytes)?,
        SheetFormat::Xlsx => read_xlsx(bytes)?,
    };
    // blank rows (a sheet's trailing ones, spacers) carry nothing
    sheet
        .rows
        .retain(|(_, cells)| cells.iter().any(|c| !matches!(c, Cell::Empty)));
    if sheet.header.iter().all(|h| h.is_empty()) {
        return Err(SheetError::NoHeader);
    }
    Ok(sheet)
}

fn read_csv(bytes: &[u8]) -> Result<Sheet, SheetError> {
    // a byte-order mark, as Excel writes UTF-8 CSV
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut sheet = Sheet::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| SheetError::Csv(e.to_string()))?;
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if i == 0 {
            sheet.header = cells;
            continue;
        }
        let cells = cells
            .into_iter()
            .map(|c| {
                if c.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(c)
                }
            })
            .collect();
        sheet.rows.push((i + 1, cells));
    }
    Ok(sheet)
}

fn read_xlsx(bytes: &[u8]) -> Result<Sheet, SheetError> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| SheetError::Xlsx(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(SheetError::NoSheet)?
        .map_err(|e| SheetError::Xlsx(e.to_string()))?;
    // rows count from the range's first row, which need not be the sheet's first
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut sheet = Sheet::default();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<Cell> = row.iter().map(cell).collect();
        if i == 0 {
            sheet.header = cells.iter().map(|c| c.text().trim().to_string()).collect();
            continue;
        }
        sheet.rows.push((first_row + i + 1, cells));
    }
    Ok(sheet)
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.trim().to_string()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(t) => match t.as_datetime() {
            Some(time) => Cell::Time(time),
            None => Cell::Text(t.to_string()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_a_byte_order_mark_and_blank_rows() {
        let sheet = read(
            "\u{feff}site_code,sampled_at,氨氮\nS1,2025-06-03,1.2\n,,\nS2,2025-06-03,\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(sheet.header, ["site_code", "sampled_at", "氨氮"]);
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(
            sheet.rows[1].0, 4,
            "row numbers count the header and the blank row"
        );
        assert_eq!(sheet.rows[1].1[2], Cell::Empty);
    }

    #[test]
    fn a_file_without_header_is_refused() {
        assert!(matches!(read(b""), Err(SheetError::NoHeader)));
        assert!(matches!(
            read(b"PK\x03\x04garbage"),
            Err(SheetError::Xlsx(_))
        ));
    }
}
