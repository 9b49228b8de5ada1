//! The columns of an exported layer, the same in every format, and the xlsx sheet that holds
//! them.

use crate::db::export::ExportRecord;
use crate::domain::import::{ImportTarget, UnknownTarget};
use crate::domain::site_kind::AttrType;
use crate::domain::{Audience, GeomType, SiteKind};
use rust_xlsxwriter::{Workbook, XlsxError};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// What is exported: sites of one kind, the admin areas, or the projects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportLayer {
    Site(SiteKind),
    AdminArea,
    Project,
}

impl From<ImportTarget> for ExportLayer {
    fn from(target: ImportTarget) -> Self {
        match target {
            ImportTarget::Site(kind) => ExportLayer::Site(kind),
            ImportTarget::AdminArea => ExportLayer::AdminArea,
        }
    }
}

impl ExportLayer {
    pub fn name(self) -> &'static str {
        match self {
            ExportLayer::Site(kind) => kind.as_str(),
            ExportLayer::AdminArea => "admin_area",
            ExportLayer::Project => "project",
        }
    }

    /// The dimensions (0 points, 1 lines, 2 polygons) its geometries may have; a project's are
    /// its sites', any of them.
    pub fn dimensions(self) -> Vec<u8> {
        let mut dimensions: Vec<u8> = match self {
            ExportLayer::Site(kind) => kind
                .allowed_geometries()
                .iter()
                .map(|t| match t {
                    GeomType::Point | GeomType::MultiPoint => 0,
                    GeomType::LineString | GeomType::MultiLineString => 1,
                    _ => 2,
                })
                .collect(),
            ExportLayer::AdminArea => vec![2],
            ExportLayer::Project => vec![0, 1, 2],
        };
        dimensions.dedup();
        dimensions
    }
}

impl fmt::Display for ExportLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportLayer {
    type Err = UnknownTarget;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "project" | "projects" => Ok(ExportLayer::Project),
            other => other.parse::<ImportTarget>().map(ExportLayer::from),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Integer,
    Real,
    Bool,
    /// a list, written as its JSON text where the format has no lists
    List,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
}

impl Column {
    /// The cell as text: numbers and booleans as JSON writes them, lists as JSON.
    pub fn text(&self, value: Option<&Value>) -> Option<String> {
        match value? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Text,
    }
}

/// The layer's columns, in the order every format writes them.
pub fn columns(layer: ExportLayer, audience: Audience) -> Vec<Column> {
    match layer {
        ExportLayer::Site(kind) => {
            let mut columns = vec![
                text("code"),
                text("name"),
                text("name_en"),
                text("town_code"),
                Column {
                    name: "placeholder",
                    ty: ColumnType::Bool,
                },
            ];
            if kind == SiteKind::KeyZone {
                columns.push(Column {
                    name: "radius_m",
                    ty: ColumnType::Real,
                });
            }
            columns.extend(kind.visible_attributes(audience).map(|spec| Column {
                name: spec.name,
                ty: match spec.ty {
                    AttrType::Text | AttrType::Enum(_) => ColumnType::Text,
                    AttrType::Bool => ColumnType::Bool,
                    AttrType::PositiveNumber => ColumnType::Real,
                    AttrType::IntEnum(_) => ColumnType::Integer,
                    AttrType::TextList | AttrType::EnumList(_) => ColumnType::List,
                },
            }));
            columns
        }
        ExportLayer::AdminArea => vec![
            text("code"),
            text("name"),
            text("name_en"),
            text("level"),
            text("parent_code"),
            Column {
                name: "approximate",
                ty: ColumnType::Bool,
            },
            text("source"),
        ],
        ExportLayer::Project => vec![
            text("code"),
            text("name"),
            text("name_en"),
            text("category"),
            text("programme"),
            text("status"),
            text("stage"),
            Column {
                name: "progress",
                ty: ColumnType::Integer,
            },
            text("responsible_unit"),
            text("town_code"),
            text("planned_start"),
            text("planned_end"),
            text("actual_start"),
            text("actual_end"),
            text("site_codes"),
        ],
    }
}

/// Excel's limit on the text of one cell.
const CELL_CHARS: usize = 32_767;

/// A workbook of one sheet: the columns, then lon and lat for a point (so that the sheet imports
/// back), then the geometry as WKT where it fits in a cell.
pub struct XlsxSheet {
    workbook: Workbook,
    columns: Vec<Column>,
    row: u32,
}

impl XlsxSheet {
    pub fn new(layer: ExportLayer, columns: &[Column]) -> Result<XlsxSheet, XlsxError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(layer.name())?;
        let headers = columns
            .iter()
            .map(|c| c.name)
            .chain(["lon", "lat", "geometry_wkt"]);
        for (i, header) in headers.enumerate() {
            sheet.write_string(0, i as u16, header)?;
        }
        Ok(XlsxSheet {
            workbook,
            columns: columns.to_vec(),
            row: 0,
        })
    }

    pub fn row(&mut self, record: &ExportRecord) -> anyhow::Result<()> {
        self.row += 1;
        let row = self.row;
        let sheet = self.workbook.worksheet_from_index(0)?;
        for (i, column) in self.columns.iter().enumerate() {
            let at = i as u16;
            match (column.ty, record.props.0.get(column.name)) {
                (_, None | Some(Value::Null)) => {}
                (ColumnType::Integer | ColumnType::Real, Some(Value::Number(n))) => {
                    sheet.write_number(row, at, n.as_f64().unwrap_or_default())?;
                }
                (ColumnType::Bool, Some(Value::Bool(b))) => {
                    sheet.write_boolean(row, at, *b)?;
                }
                (_, value) => {
                    sheet.write_string(row, at, column.text(value).unwrap_or_default())?;
                }
            }
        }
        let after = self.columns.len() as u16;
        if let Some((lon, lat)) = record.point()? {
            sheet.write_number(row, after, lon)?;
            sheet.write_number(row, after + 1, lat)?;
        }
        let wkt = record.wkt()?;
        if wkt.chars().count() <= CELL_CHARS {
            sheet.write_string(row, after + 2, wkt)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.workbook.save_to_buffer()
    }
}
