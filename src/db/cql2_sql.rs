//! CQL2 filters (`domain::cql2`) as SQL over the sites of one kind: every value is a bound
//! parameter, every property name is looked up in the queryables below and never written into
//! the query, and each comparison is type-checked with a message that names the property.
//!
//! Queryables of a site: its columns; its kind's attributes (compared as JSON values, so a
//! missing or differently typed attribute is simply unequal); `status`, `programme` and
//! `category`, which hold when any linked project matches (unless the kind has an attribute of
//! that name); and `geometry`.

use crate::domain::cql2::{Comparison, Expr, GeometryOperand, Literal, Operand, SpatialFunction};
use crate::domain::{Audience, SiteKind};
use geozero::wkt::Wkt;
use geozero::{CoordDimensions, ToWkb};
use sqlx::{Postgres, QueryBuilder};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueType {
    Text,
    Number,
    Bool,
    Instant,
}

impl ValueType {
    fn name(self) -> &'static str {
        match self {
            ValueType::Text => "text: compare it with a 'string'",
            ValueType::Number => "a number",
            ValueType::Bool => "TRUE or FALSE",
            ValueType::Instant => "a time: compare it with DATE('…') or TIMESTAMP('…')",
        }
    }

    /// The JSON Schema type of the queryables document.
    pub fn schema(self) -> serde_json::Value {
        match self {
            ValueType::Text => serde_json::json!({ "type": "string" }),
            ValueType::Number => serde_json::json!({ "type": "number" }),
            ValueType::Bool => serde_json::json!({ "type": "boolean" }),
            ValueType::Instant => serde_json::json!({ "type": "string", "format": "date-time" }),
        }
    }
}

/// The site columns a filter can name, with their SQL over `site s` and their type.
pub const SITE_COLUMNS: [(&str, &str, ValueType); 14] = [
    ("id", "s.id", ValueType::Number),
    ("code", "s.code", ValueType::Text),
    ("name", "s.name", ValueType::Text),
    ("name_en", "s.name_en", ValueType::Text),
    ("town", "s.town_code", ValueType::Text),
    ("town_code", "s.town_code", ValueType::Text),
    ("placeholder", "s.placeholder", ValueType::Bool),
    ("remediation_state", "s.remediation_state", ValueType::Text),
    ("latest_class", "s.latest_class", ValueType::Text),
    (
        "latest_sampled_at",
        "s.latest_sampled_at",
        ValueType::Instant,
    ),
    ("meets_target", "s.meets_target", ValueType::Bool),
    ("black_odor_grade", "s.black_odor_grade", ValueType::Text),
    ("soil_risk", "s.soil_risk", ValueType::Text),
    ("updated_at", "s.updated_at", ValueType::Instant),
];

/// Properties of the linked projects: a predicate on them holds when any linked project's does.
pub const LINKED_COLUMNS: [(&str, &str); 3] = [
    ("status", "p.status"),
    ("programme", "g.code"),
    ("category", "p.category"),
];

const LINKED_FROM: &str =
    "EXISTS (SELECT 1 FROM project_site ps JOIN project p ON p.id = ps.project_id
     LEFT JOIN programme g ON g.id = p.programme_id WHERE ps.site_id = s.id AND ";

#[derive(Debug, Clone, Copy)]
enum Column {
    Direct(&'static str, ValueType),
    Linked(&'static str),
    Attribute(&'static str),
}

/// The CRS of the filter's geometry literals: an SRID, and whether they are written y first.
#[derive(Debug, Clone, Copy)]
pub struct FilterCrs {
    pub srid: i32,
    pub flip_axes: bool,
}

/// A filter over the sites of one kind, checked when made: every name resolves, every type
/// fits and every geometry reads, so appending it to a query cannot fail.
#[derive(Debug, Clone)]
pub struct SiteCql2 {
    kind: SiteKind,
    audience: Audience,
    expr: Expr,
    crs: FilterCrs,
}

/// Why a parsed filter cannot apply to a collection: what it names or how it compares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("{name:?} is not a queryable of {kind} (see the collection's queryables)")]
    NotQueryable { name: String, kind: SiteKind },
    #[error("geometry can only be used in a spatial function such as S_INTERSECTS")]
    GeometryOutsideSpatialFunction,
    #[error("{name} is {expected}")]
    WrongType {
        name: String,
        expected: &'static str,
    },
    #[error("LIKE needs a text property; {property} is {is}")]
    LikeNeedsText { property: String, is: &'static str },
    #[error("the two values of a comparison are of different types")]
    MixedValues,
    #[error("{a} and {b} cannot be compared with each other; compare each with a value")]
    TwoProperties { a: String, b: String },
    #[error("{0:?} is not a geometry; the geometry of a site is called geometry")]
    NotAGeometry(String),
    #[error("the geometry {text:?} is not valid WKT: {reason}")]
    BadWkt { text: String, reason: String },
}

fn column(kind: SiteKind, audience: Audience, name: &str) -> Result<Column, FilterError> {
    if let Some((_, sql, ty)) = SITE_COLUMNS.iter().find(|(n, _, _)| *n == name) {
        return Ok(Column::Direct(sql, *ty));
    }
    if kind == SiteKind::KeyZone && name == "radius_m" {
        return Ok(Column::Direct("s.radius_m", ValueType::Number));
    }
    // a kind's own attribute wins over a linked project's property of the same name
    // (a black-odor body's category is its own)
    // a staff-only attribute is unknown to the public: filtering on it would reveal its values
    if let Some(spec) = kind.visible_attributes(audience).find(|a| a.name == name) {
        return Ok(Column::Attribute(spec.name));
    }
    if let Some((_, sql)) = LINKED_COLUMNS.iter().find(|(n, _)| *n == name) {
        return Ok(Column::Linked(sql));
    }
    if name == "geometry" {
        return Err(FilterError::GeometryOutsideSpatialFunction);
    }
    Err(FilterError::NotQueryable {
        name: name.to_string(),
        kind,
    })
}

fn literal_type(literal: &Literal) -> ValueType {
    match literal {
        Literal::Text(_) => ValueType::Text,
        Literal::Number(_) => ValueType::Number,
        Literal::Bool(_) => ValueType::Bool,
        Literal::Date(_) | Literal::Timestamp(_) => ValueType::Instant,
    }
}

fn push_literal(q: &mut QueryBuilder<'_, Postgres>, literal: &Literal) {
    match literal {
        Literal::Text(t) => q.push_bind(t.clone()).push("::text"),
        Literal::Number(n) => q.push_bind(*n).push("::float8"),
        Literal::Bool(b) => q.push_bind(*b).push("::boolean"),
        Literal::Date(d) => q.push_bind(*d).push("::date"),
        Literal::Timestamp(t) => q.push_bind(*t).push("::timestamptz"),
    };
}

/// A literal as a JSON value, to compare with a kind attribute.
fn push_json_literal(q: &mut QueryBuilder<'_, Postgres>, literal: &Literal) {
    q.push("to_jsonb(");
    match literal {
        Literal::Date(d) => {
            q.push_bind(d.to_string()).push("::text");
        }
        Literal::Timestamp(t) => {
            q.push_bind(t.to_rfc3339()).push("::text");
        }
        other => push_literal(q, other),
    }
    q.push(")");
}

fn check_type(name: &str, ty: ValueType, literal: &Literal) -> Result<(), FilterError> {
    if literal_type(literal) == ty {
        Ok(())
    } else {
        Err(FilterError::WrongType {
            name: name.to_string(),
            expected: ty.name(),
        })
    }
}

impl SiteCql2 {
    pub fn new(
        kind: SiteKind,
        audience: Audience,
        expr: Expr,
        crs: FilterCrs,
    ) -> Result<Self, FilterError> {
        let filter = SiteCql2 {
            kind,
            audience,
            expr,
            crs,
        };
        filter.push_expr(&mut QueryBuilder::new(""), &filter.expr)?;
        Ok(filter)
    }

    /// Appends the filter as one parenthesised SQL condition.
    pub fn push(&self, q: &mut QueryBuilder<'_, Postgres>) {
        q.push("(");
        // `new` ran this same translation, so it succeeds here
        let _ = self.push_expr(q, &self.expr);
        q.push(")");
    }

    fn push_expr(
        &self,
        q: &mut QueryBuilder<'_, Postgres>,
        expr: &Expr,
    ) -> Result<(), FilterError> {
        match expr {
            Expr::And(a, b) | Expr::Or(a, b) => {
                q.push("(");
                self.push_expr(q, a)?;
                q.push(if matches!(expr, Expr::And(..)) {
                    " AND "
                } else {
                    " OR "
                });
                self.push_expr(q, b)?;
                q.push(")");
            }
            Expr::Not(inner) => {
                q.push("NOT (");
                self.push_expr(q, inner)?;
                q.push(")");
            }
            Expr::Bool(b) => {
                q.push(if *b { "true" } else { "false" });
            }
            Expr::Compare(left, op, right) => self.push_compare(q, left, *op, right)?,
            Expr::Like {
                property,
                pattern,
                negated,
            } => {
                let not = if *negated { "NOT " } else { "" };
                match column(self.kind, self.audience, property)? {
                    Column::Direct(sql, ValueType::Text) => {
                        q.push(format!("{sql} {not}LIKE "))
                            .push_bind(pattern.clone());
                    }
                    Column::Direct(_, ty) => {
                        return Err(FilterError::LikeNeedsText {
                            property: property.clone(),
                            is: ty.name(),
                        });
                    }
                    Column::Attribute(name) => {
                        q.push("(s.attrs ->> ")
                            .push_bind(name)
                            .push(format!(") {not}LIKE "))
                            .push_bind(pattern.clone());
                    }
                    Column::Linked(sql) => {
                        q.push(format!("{not}{LINKED_FROM}{sql} LIKE "))
                            .push_bind(pattern.clone())
                            .push(")");
                    }
                }
            }
            Expr::Between {
                property,
                low,
                high,
                negated,
            } => {
                let not = if *negated { "NOT " } else { "" };
                match column(self.kind, self.audience, property)? {
                    Column::Direct(sql, ty) => {
                        check_type(property, ty, low)?;
                        check_type(property, ty, high)?;
                        q.push(format!("{sql} {not}BETWEEN "));
                        push_literal(q, low);
                        q.push(" AND ");
                        push_literal(q, high);
                    }
                    Column::Attribute(name) => {
                        q.push("(s.attrs -> ")
                            .push_bind(name)
                            .push(format!(") {not}BETWEEN "));
                        push_json_literal(q, low);
                        q.push(" AND ");
                        push_json_literal(q, high);
                    }
                    Column::Linked(sql) => {
                        q.push(format!("{not}{LINKED_FROM}{sql} BETWEEN "));
                        check_type(property, ValueType::Text, low)?;
                        check_type(property, ValueType::Text, high)?;
                        push_literal(q, low);
                        q.push(" AND ");
                        push_literal(q, high);
                        q.push(")");
                    }
                }
            }
            Expr::In {
                property,
                values,
                negated,
            } => {
                let not = if *negated { "NOT " } else { "" };
                let (prefix, suffix, as_json) = match column(self.kind, self.audience, property)? {
                    Column::Direct(sql, ty) => {
                        for v in values {
                            check_type(property, ty, v)?;
                        }
                        (format!("{sql} {not}IN ("), "", false)
                    }
                    Column::Attribute(_) => (String::new(), "", true),
                    Column::Linked(sql) => {
                        for v in values {
                            check_type(property, ValueType::Text, v)?;
                        }
                        (format!("{not}{LINKED_FROM}{sql} IN ("), ")", false)
                    }
                };
                if as_json {
                    q.push("(s.attrs -> ")
                        .push_bind(property.clone())
                        .push(format!(") {not}IN ("));
                } else {
                    q.push(prefix);
                }
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        q.push(", ");
                    }
                    if as_json {
                        push_json_literal(q, value);
                    } else {
                        push_literal(q, value);
                    }
                }
                q.push(")").push(suffix);
            }
            Expr::IsNull { property, negated } => match column(self.kind, self.audience, property)?
            {
                Column::Direct(sql, _) => {
                    q.push(format!(
                        "{sql} IS {}NULL",
                        if *negated { "NOT " } else { "" }
                    ));
                }
                Column::Attribute(name) => {
                    q.push("coalesce(s.attrs -> ").push_bind(name).push(format!(
                        ", 'null') {} 'null'::jsonb",
                        if *negated { "<>" } else { "=" }
                    ));
                }
                Column::Linked(sql) => {
                    // no linked project with a value: no link at all, or links without one
                    q.push(format!(
                        "{}{LINKED_FROM}{sql} IS NOT NULL)",
                        if *negated { "" } else { "NOT " }
                    ));
                }
            },
            Expr::Spatial(function, a, b) => self.push_spatial(q, *function, a, b)?,
        }
        Ok(())
    }

    fn push_compare(
        &self,
        q: &mut QueryBuilder<'_, Postgres>,
        left: &Operand,
        op: Comparison,
        right: &Operand,
    ) -> Result<(), FilterError> {
        match (left, right) {
            (Operand::Literal(_), Operand::Property(_)) => {
                return self.push_compare(q, right, op.mirrored(), left);
            }
            (Operand::Literal(a), Operand::Literal(b)) => {
                if literal_type(a) != literal_type(b) {
                    return Err(FilterError::MixedValues);
                }
                push_literal(q, a);
                q.push(format!(" {} ", op.sql()));
                push_literal(q, b);
            }
            (Operand::Property(name), Operand::Literal(value)) => {
                match column(self.kind, self.audience, name)? {
                    Column::Direct(sql, ty) => {
                        check_type(name, ty, value)?;
                        q.push(format!("{sql} {} ", op.sql()));
                        push_literal(q, value);
                    }
                    Column::Attribute(attr) => {
                        q.push("(s.attrs -> ")
                            .push_bind(attr)
                            .push(format!(") {} ", op.sql()));
                        push_json_literal(q, value);
                    }
                    Column::Linked(sql) => {
                        check_type(name, ValueType::Text, value)?;
                        q.push(format!("{LINKED_FROM}{sql} {} ", op.sql()));
                        push_literal(q, value);
                        q.push(")");
                    }
                }
            }
            (Operand::Property(a), Operand::Property(b)) => {
                match (
                    column(self.kind, self.audience, a)?,
                    column(self.kind, self.audience, b)?,
                ) {
                    (Column::Direct(x, tx), Column::Direct(y, ty)) if tx == ty => {
                        q.push(format!("{x} {} {y}", op.sql()));
                    }
                    _ => {
                        return Err(FilterError::TwoProperties {
                            a: a.clone(),
                            b: b.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn push_geometry(
        &self,
        q: &mut QueryBuilder<'_, Postgres>,
        operand: &GeometryOperand,
    ) -> Result<(), FilterError> {
        let (open, close) = if self.crs.flip_axes {
            ("ST_Transform(ST_FlipCoordinates(", "), 4326)")
        } else {
            ("ST_Transform(", ", 4326)")
        };
        match operand {
            GeometryOperand::Property(name) if name == "geometry" => {
                q.push("s.geom");
            }
            GeometryOperand::Property(name) => {
                return Err(FilterError::NotAGeometry(name.clone()));
            }
            GeometryOperand::Wkt(text) => {
                let wkb = Wkt(text.as_str())
                    .to_wkb(CoordDimensions::xy())
                    .map_err(|e| FilterError::BadWkt {
                        text: text.clone(),
                        reason: e.to_string(),
                    })?;
                q.push(open)
                    .push("ST_GeomFromWKB(")
                    .push_bind(wkb)
                    .push(", ")
                    .push_bind(self.crs.srid)
                    .push(")")
                    .push(close);
            }
            GeometryOperand::BBox([x1, y1, x2, y2]) => {
                q.push(open).push("ST_MakeEnvelope(");
                for (i, v) in [x1, y1, x2, y2].into_iter().enumerate() {
                    q.push_bind(*v).push(if i < 3 { ", " } else { "" });
                }
                q.push(", ").push_bind(self.crs.srid).push(")").push(close);
            }
        }
        Ok(())
    }

    fn push_spatial(
        &self,
        q: &mut QueryBuilder<'_, Postgres>,
        function: SpatialFunction,
        a: &GeometryOperand,
        b: &GeometryOperand,
    ) -> Result<(), FilterError> {
        q.push(function.postgis()).push("(");
        self.push_geometry(q, a)?;
        q.push(", ");
        self.push_geometry(q, b)?;
        q.push(")");
        Ok(())
    }
}
