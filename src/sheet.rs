//! Reading a sheet, CSV or xlsx (a lab's results, a casework ledger), into a header and rows of
//! cells; what the cells mean is the importer's business.

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDateTime;
use std::borrow::Cow;
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
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(t) => Cow::Borrowed(t),
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Time(t) => Cow::Owned(t.format("%Y-%m-%d %H:%M:%S").to_string()),
        }
    }
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

/// A sheet's bytes as UTF-8, and the encoding a CSV was read in with where it came from.
pub type Utf8Sheet<'a> = (Cow<'a, [u8]>, Option<(String, &'static str)>);

/// A sheet's bytes as UTF-8: an xlsx is already; a CSV is decoded by the `given` encoding, else
/// by what its bytes look like (a town's CSV saved by Excel is often GBK). Answers the encoding
/// of a CSV and where it came from ("--encoding" or "detected").
pub fn as_utf8<'a>(bytes: &'a [u8], given: Option<&str>) -> Result<Utf8Sheet<'a>, String> {
    if SheetFormat::sniff(bytes) == SheetFormat::Xlsx {
        return Ok((Cow::Borrowed(bytes), None));
    }
    let (name, from) = match given {
        Some(name) => (name.to_string(), "--encoding"),
        None => (
            crate::import::vector_file::detect_text_encoding(bytes),
            "detected",
        ),
    };
    let encoding = encoding_rs::Encoding::for_label(name.as_bytes())
        .ok_or_else(|| format!("{name:?} is not a text encoding (try UTF-8 or GB18030)"))?;
    let text = if encoding == encoding_rs::UTF_8 {
        Cow::Borrowed(bytes)
    } else {
        let (text, _, _) = encoding.decode(bytes);
        Cow::Owned(text.into_owned().into_bytes())
    };
    Ok((text, Some((name, from))))
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

/// A sheet read row by row: its header, then its data rows in file order, each with its row
/// number in the file (1-based, the header included, as a spreadsheet shows it). Blank rows (a
/// sheet's trailing ones, spacers) carry nothing and are skipped.
pub struct SheetRows<'a> {
    pub header: Vec<String>,
    rows: Box<dyn Iterator<Item = Result<Row, SheetError>> + Send + 'a>,
}

/// A data row: its number in the file and its cells.
pub type Row = (usize, Vec<Cell>);

impl<'a> SheetRows<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<SheetRows<'a>, SheetError> {
        let sheet = match SheetFormat::sniff(bytes) {
            SheetFormat::Csv => csv_rows(bytes)?,
            SheetFormat::Xlsx => xlsx_rows(bytes)?,
        };
        if sheet.header.iter().all(|h| h.is_empty()) {
            return Err(SheetError::NoHeader);
        }
        Ok(sheet)
    }

    /// The next non-blank rows, at most `limit`; none at the end of the sheet.
    pub fn next_rows(&mut self, limit: usize) -> Result<Vec<Row>, SheetError> {
        let mut rows = Vec::with_capacity(limit.min(4096));
        while rows.len() < limit {
            match self.rows.next() {
                None => break,
                Some(row) => {
                    let row = row?;
                    if row.1.iter().any(|c| !matches!(c, Cell::Empty)) {
                        rows.push(row);
                    }
                }
            }
        }
        Ok(rows)
    }
}

fn csv_rows(bytes: &[u8]) -> Result<SheetRows<'_>, SheetError> {
    // a byte-order mark, as Excel writes UTF-8 CSV
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .into_records();
    let header = match records.next() {
        None => Vec::new(),
        Some(record) => record
            .map_err(|e| SheetError::Csv(e.to_string()))?
            .iter()
            .map(|c| c.trim().to_string())
            .collect(),
    };
    let rows = records.enumerate().map(|(i, record)| {
        let record = record.map_err(|e| SheetError::Csv(e.to_string()))?;
        let cells = record
            .iter()
            .map(|c| match c.trim() {
                "" => Cell::Empty,
                text => Cell::Text(text.to_string()),
            })
            .collect();
        // the header is row 1
        Ok((i + 2, cells))
    });
    Ok(SheetRows {
        header,
        rows: Box::new(rows),
    })
}

/// calamine holds the whole first worksheet; its rows are turned into cells one at a time.
fn xlsx_rows(bytes: &[u8]) -> Result<SheetRows<'_>, SheetError> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| SheetError::Xlsx(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(SheetError::NoSheet)?
        .map_err(|e| SheetError::Xlsx(e.to_string()))?;
    // rows count from the range's first row, which need not be the sheet's first
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let (height, width) = range.get_size();
    let row_cells = move |i: usize| -> Vec<Cell> {
        (0..width)
            .map(|j| range.get((i, j)).map_or(Cell::Empty, cell))
            .collect()
    };
    let header = if height == 0 {
        Vec::new()
    } else {
        row_cells(0)
            .iter()
            .map(|c| c.text().trim().to_string())
            .collect()
    };
    let rows = (1..height).map(move |i| Ok((first_row + i + 1, row_cells(i))));
    Ok(SheetRows {
        header,
        rows: Box::new(rows),
    })
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
        let bytes = "\u{feff}site_code,sampled_at,氨氮\nS1,2025-06-03,1.2\n,,\nS2,2025-06-03,\nS3,2025-06-04,0.5\n";
        let mut sheet = SheetRows::open(bytes.as_bytes()).unwrap();
        assert_eq!(sheet.header, ["site_code", "sampled_at", "氨氮"]);
        let first = sheet.next_rows(2).unwrap();
        assert_eq!(first.len(), 2, "the blank row is skipped");
        assert_eq!(
            first[1].0, 4,
            "row numbers count the header and the blank row"
        );
        assert_eq!(first[1].1[2], Cell::Empty);
        let rest = sheet.next_rows(2).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].0, 5);
        assert!(sheet.next_rows(2).unwrap().is_empty());
    }

    #[test]
    fn a_file_without_header_is_refused() {
        assert!(matches!(SheetRows::open(b""), Err(SheetError::NoHeader)));
        assert!(matches!(
            SheetRows::open(b",,\n1,2,3\n"),
            Err(SheetError::NoHeader)
        ));
        assert!(matches!(
            SheetRows::open(b"PK\x03\x04garbage"),
            Err(SheetError::Xlsx(_))
        ));
    }
}
