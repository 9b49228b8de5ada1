//! The one CSV writer of the server's downloads (the report, layer exports): every cell goes
//! through [`spreadsheet_text`], so a name such as `=HYPERLINK(…)` opens in a spreadsheet as
//! text, not as a formula, while numbers stay numbers.

use crate::domain::text::spreadsheet_text;
use std::io::Write;

pub struct SpreadsheetCsv<W: Write>(csv::Writer<W>);

impl<W: Write> SpreadsheetCsv<W> {
    pub fn new(out: W) -> Self {
        SpreadsheetCsv(csv::Writer::from_writer(out))
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> csv::Result<()> {
        self.0.write_record(
            cells
                .into_iter()
                .map(|cell| spreadsheet_text(cell).into_owned()),
        )
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }

    pub fn into_inner(self) -> anyhow::Result<W> {
        self.0.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }
}
