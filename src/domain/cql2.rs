//! A parser for CQL2 text (OGC 21-065), the filter language of OGC API - Features Part 3: the
//! Basic CQL2 class (comparisons, IS NULL, AND/OR/NOT, DATE and TIMESTAMP literals), the
//! advanced comparison operators (LIKE, BETWEEN, IN) and the spatial functions (S_INTERSECTS,
//! S_DISJOINT, S_CONTAINS, S_WITHIN, S_TOUCHES, S_CROSSES, S_OVERLAPS, S_EQUALS) over WKT and
//! BBOX literals. It builds a syntax tree only; `db::cql2_sql` turns it into SQL with bound
//! parameters. Errors name the character position and what was expected there.
//!
//! The `cql2` crate was considered: its 0.6 release pulls in geozero 0.14 next to our 0.15 and
//! some 300 crates, and its SQL output inlines literals where we bind parameters.

use chrono::{DateTime, NaiveDate, Utc};

/// Longest filter accepted, in bytes, and deepest nesting: bounds on parsing and query cost.
pub const MAX_FILTER_BYTES: usize = 16 * 1024;
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Property(String),
    Literal(Literal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparison {
    /// The same comparison with its sides swapped: `1 < a` is `a > 1`.
    pub fn mirrored(self) -> Self {
        match self {
            Comparison::Lt => Comparison::Gt,
            Comparison::Le => Comparison::Ge,
            Comparison::Gt => Comparison::Lt,
            Comparison::Ge => Comparison::Le,
            same => same,
        }
    }

    pub fn sql(self) -> &'static str {
        match self {
            Comparison::Eq => "=",
            Comparison::Ne => "<>",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpatialFunction {
    Intersects,
    Disjoint,
    Contains,
    Within,
    Touches,
    Crosses,
    Overlaps,
    Equals,
}

impl SpatialFunction {
    fn named(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "S_INTERSECTS" => SpatialFunction::Intersects,
            "S_DISJOINT" => SpatialFunction::Disjoint,
            "S_CONTAINS" => SpatialFunction::Contains,
            "S_WITHIN" => SpatialFunction::Within,
            "S_TOUCHES" => SpatialFunction::Touches,
            "S_CROSSES" => SpatialFunction::Crosses,
            "S_OVERLAPS" => SpatialFunction::Overlaps,
            "S_EQUALS" => SpatialFunction::Equals,
            _ => return None,
        })
    }

    /// The PostGIS function with the same meaning (DE-9IM, as CQL2 defines them).
    pub fn postgis(self) -> &'static str {
        match self {
            SpatialFunction::Intersects => "ST_Intersects",
            SpatialFunction::Disjoint => "ST_Disjoint",
            SpatialFunction::Contains => "ST_Contains",
            SpatialFunction::Within => "ST_Within",
            SpatialFunction::Touches => "ST_Touches",
            SpatialFunction::Crosses => "ST_Crosses",
            SpatialFunction::Overlaps => "ST_Overlaps",
            SpatialFunction::Equals => "ST_Equals",
        }
    }
}

/// A geometry argument of a spatial function.
#[derive(Debug, Clone, PartialEq)]
pub enum GeometryOperand {
    Property(String),
    /// WKT text, as written (checked and converted by geozero when the query is built)
    Wkt(String),
    /// min x, min y, max x, max y
    BBox([f64; 4]),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Bool(bool),
    Compare(Operand, Comparison, Operand),
    Like {
        property: String,
        pattern: String,
        negated: bool,
    },
    Between {
        property: String,
        low: Literal,
        high: Literal,
        negated: bool,
    },
    In {
        property: String,
        values: Vec<Literal>,
        negated: bool,
    },
    IsNull {
        property: String,
        negated: bool,
    },
    Spatial(SpatialFunction, GeometryOperand, GeometryOperand),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    /// a "double-quoted" identifier: always a property name
    Quoted(String),
    Text(String),
    Number(f64),
    Wkt(String),
    Symbol(&'static str),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word(w) => format!("'{w}'"),
            Token::Quoted(q) => format!("\"{q}\""),
            Token::Text(t) => format!("the string '{t}'"),
            Token::Number(n) => format!("the number {n}"),
            Token::Wkt(_) => "a WKT geometry".into(),
            Token::Symbol(s) => format!("'{s}'"),
        }
    }
}

const WKT_TYPES: [&str; 7] = [
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];

/// Why a filter was refused; where the fault is at one place, the position (in characters, from
/// 1) comes with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Cql2Error {
    #[error("at character {position}: {message}")]
    At { position: usize, message: String },
    #[error("the filter ends where {expected} was expected")]
    Ends { expected: String },
    #[error("the filter is empty")]
    Empty,
    #[error("the filter is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("the filter nests deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("BBOX(…) {0}")]
    Bbox(String),
}

impl Cql2Error {
    fn at(position: usize, message: String) -> Self {
        Cql2Error::At { position, message }
    }

    /// Where the fault is, in characters from 1, when it is at one place.
    pub fn position(&self) -> Option<usize> {
        match self {
            Cql2Error::At { position, .. } => Some(*position),
            _ => None,
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, Cql2Error> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let position = at + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(Cql2Error::at(
                            position,
                            format!(
                                "the {} is not closed",
                                if c == '\'' { "string" } else { "quoted name" }
                            ),
                        ));
                    }
                    Some(&(_, q)) if q == c && chars.get(i + 1).is_some_and(|&(_, n)| n == c) => {
                        value.push(c);
                        i += 2;
                    }
                    Some(&(_, q)) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&(_, other)) => {
                        value.push(other);
                        i += 1;
                    }
                }
            }
            tokens.push((
                position,
                if c == '\'' {
                    Token::Text(value)
                } else {
                    Token::Quoted(value)
                },
            ));
            continue;
        }
        let starts_number = c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|&(_, n)| n.is_ascii_digit()))
            || (c == '-'
                && chars
                    .get(i + 1)
                    .is_some_and(|&(_, n)| n.is_ascii_digit() || n == '.'));
        if starts_number {
            let start = i;
            i += 1;
            while let Some(&(_, n)) = chars.get(i) {
                let exponent_sign =
                    (n == '-' || n == '+') && matches!(chars.get(i - 1), Some(&(_, 'e' | 'E')));
                if n.is_ascii_digit() || n == '.' || n == 'e' || n == 'E' || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            let end = chars.get(i).map_or(text.len(), |&(b, _)| b);
            let literal = &text[chars[start].0..end];
            let number = literal
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| Cql2Error::at(position, format!("{literal:?} is not a number")))?;
            tokens.push((position, Token::Number(number)));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|&(_, n)| n.is_alphanumeric() || n == '_' || n == '.' || n == ':')
            {
                i += 1;
            }
            let end = chars.get(i).map_or(text.len(), |&(b, _)| b);
            let word = &text[chars[start].0..end];
            if WKT_TYPES.contains(&word.to_ascii_uppercase().as_str()) {
                // the whole geometry, balanced parentheses included, goes to the WKT reader
                let mut depth = 0usize;
                let mut j = i;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(Cql2Error::at(
                                position,
                                format!("the {word} geometry is not closed"),
                            ));
                        }
                        Some(&(_, '(')) => depth += 1,
                        Some(&(_, ')')) if depth <= 1 => break,
                        Some(&(_, ')')) => depth -= 1,
                        Some(&(_, w)) if depth == 0 && !w.is_whitespace() && !w.is_alphabetic() => {
                            return Err(Cql2Error::at(
                                position,
                                format!("expected '(' after {word}"),
                            ));
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let end = chars.get(j + 1).map_or(text.len(), |&(b, _)| b);
                tokens.push((position, Token::Wkt(text[chars[start].0..end].to_string())));
                i = j + 1;
            } else {
                tokens.push((position, Token::Word(word.to_string())));
            }
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)]
            .iter()
            .map(|&(_, c)| c)
            .collect();
        let symbol = match two.as_str() {
            "<>" => Some("<>"),
            "<=" => Some("<="),
            ">=" => Some(">="),
            _ => None,
        };
        if let Some(symbol) = symbol {
            tokens.push((position, Token::Symbol(symbol)));
            i += 2;
            continue;
        }
        let symbol = match c {
            '(' => "(",
            ')' => ")",
            ',' => ",",
            '=' => "=",
            '<' => "<",
            '>' => ">",
            _ => return Err(Cql2Error::at(position, format!("unexpected {c:?}"))),
        };
        tokens.push((position, Token::Symbol(symbol)));
        i += 1;
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
    depth: usize,
}

fn is_keyword(token: Option<&Token>, keyword: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.next + ahead).map(|(_, t)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(p, _)| *p)
    }

    fn error(&self, expected: &str) -> Cql2Error {
        match self.peek() {
            Some(token) => Cql2Error::at(
                self.position(),
                format!("expected {expected}, found {}", token.describe()),
            ),
            None => Cql2Error::Ends {
                expected: expected.to_string(),
            },
        }
    }

    fn take(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).map(|(_, t)| t.clone());
        self.next += 1;
        token
    }

    fn keyword(&mut self, keyword: &str) -> bool {
        let found = is_keyword(self.peek(), keyword);
        if found {
            self.next += 1;
        }
        found
    }

    fn symbol(&mut self, symbol: &str) -> Result<(), Cql2Error> {
        match self.peek() {
            Some(Token::Symbol(s)) if *s == symbol => {
                self.next += 1;
                Ok(())
            }
            _ => Err(self.error(&format!("'{symbol}'"))),
        }
    }

    fn or_expression(&mut self) -> Result<Expr, Cql2Error> {
        let mut left = self.and_expression()?;
        while self.keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and_expression()?));
        }
        Ok(left)
    }

    fn and_expression(&mut self) -> Result<Expr, Cql2Error> {
        let mut left = self.factor()?;
        while self.keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, Cql2Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Cql2Error::TooDeep { max: MAX_DEPTH });
        }
        let expr = if self.keyword("NOT") {
            Expr::Not(Box::new(self.factor()?))
        } else if matches!(self.peek(), Some(Token::Symbol("("))) {
            self.next += 1;
            let inner = self.or_expression()?;
            self.symbol(")")?;
            inner
        } else {
            self.predicate()?
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn predicate(&mut self) -> Result<Expr, Cql2Error> {
        if let Some(Token::Word(w)) = self.peek()
            && let Some(function) = SpatialFunction::named(w)
        {
            self.next += 1;
            self.symbol("(")?;
            let first = self.geometry_operand()?;
            self.symbol(",")?;
            let second = self.geometry_operand()?;
            self.symbol(")")?;
            return Ok(Expr::Spatial(function, first, second));
        }
        let left = self.operand()?;
        if let Operand::Literal(Literal::Bool(b)) = left
            && !matches!(self.peek(), Some(Token::Symbol(_)))
        {
            return Ok(Expr::Bool(b));
        }
        let property = match &left {
            Operand::Property(name) => Some(name.clone()),
            Operand::Literal(_) => None,
        };
        let negated = self.keyword("NOT");
        let needs_property = |parser: &Parser, what: &str| {
            property.clone().ok_or_else(|| {
                Cql2Error::at(
                    parser.position(),
                    format!("{what} needs a property on its left"),
                )
            })
        };
        if self.keyword("LIKE") {
            let property = needs_property(self, "LIKE")?;
            return match self.take() {
                Some(Token::Text(pattern)) => Ok(Expr::Like {
                    property,
                    pattern,
                    negated,
                }),
                _ => {
                    self.next -= 1;
                    Err(self.error("a 'pattern' string after LIKE"))
                }
            };
        }
        if self.keyword("BETWEEN") {
            let property = needs_property(self, "BETWEEN")?;
            let low = self.literal()?;
            if !self.keyword("AND") {
                return Err(self.error("AND between the bounds of BETWEEN"));
            }
            let high = self.literal()?;
            return Ok(Expr::Between {
                property,
                low,
                high,
                negated,
            });
        }
        if self.keyword("IN") {
            let property = needs_property(self, "IN")?;
            self.symbol("(")?;
            let mut values = vec![self.literal()?];
            while matches!(self.peek(), Some(Token::Symbol(","))) {
                self.next += 1;
                values.push(self.literal()?);
            }
            self.symbol(")")?;
            return Ok(Expr::In {
                property,
                values,
                negated,
            });
        }
        if negated {
            return Err(self.error("LIKE, BETWEEN or IN after NOT"));
        }
        if self.keyword("IS") {
            let property = needs_property(self, "IS NULL")?;
            let negated = self.keyword("NOT");
            if !self.keyword("NULL") {
                return Err(self.error("NULL"));
            }
            return Ok(Expr::IsNull { property, negated });
        }
        let comparison = match self.peek() {
            Some(Token::Symbol("=")) => Comparison::Eq,
            Some(Token::Symbol("<>")) => Comparison::Ne,
            Some(Token::Symbol("<")) => Comparison::Lt,
            Some(Token::Symbol("<=")) => Comparison::Le,
            Some(Token::Symbol(">")) => Comparison::Gt,
            Some(Token::Symbol(">=")) => Comparison::Ge,
            _ => {
                return Err(
                    self.error("a comparison (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL")
                );
            }
        };
        self.next += 1;
        let right = self.operand()?;
        Ok(Expr::Compare(left, comparison, right))
    }

    fn operand(&mut self) -> Result<Operand, Cql2Error> {
        match self.peek() {
            Some(Token::Quoted(name)) => {
                let name = name.clone();
                self.next += 1;
                Ok(Operand::Property(name))
            }
            Some(Token::Word(w))
                if !["TRUE", "FALSE", "DATE", "TIMESTAMP"]
                    .contains(&w.to_ascii_uppercase().as_str()) =>
            {
                let name = w.clone();
                self.next += 1;
                Ok(Operand::Property(name))
            }
            _ => self.literal().map(Operand::Literal),
        }
    }

    fn literal(&mut self) -> Result<Literal, Cql2Error> {
        let position = self.position();
        match self.take() {
            Some(Token::Text(t)) => Ok(Literal::Text(t)),
            Some(Token::Number(n)) => Ok(Literal::Number(n)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("TRUE") => Ok(Literal::Bool(true)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("FALSE") => Ok(Literal::Bool(false)),
            Some(Token::Word(w))
                if w.eq_ignore_ascii_case("DATE") || w.eq_ignore_ascii_case("TIMESTAMP") =>
            {
                self.symbol("(")?;
                let text = match self.take() {
                    Some(Token::Text(t)) => t,
                    _ => {
                        self.next -= 1;
                        return Err(self.error(&format!("a quoted value in {w}(…)")));
                    }
                };
                self.symbol(")")?;
                if w.eq_ignore_ascii_case("DATE") {
                    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                        .map(Literal::Date)
                        .map_err(|_| {
                            Cql2Error::at(
                                position,
                                format!("DATE('{text}') is not a date like 2025-06-30"),
                            )
                        })
                } else {
                    DateTime::parse_from_rfc3339(&text)
                        .map(|t| Literal::Timestamp(t.with_timezone(&Utc)))
                        .map_err(|_| Cql2Error::at(position, format!("TIMESTAMP('{text}') is not an RFC 3339 time like 2025-06-30T12:00:00Z")))
                }
            }
            _ => {
                self.next -= 1;
                Err(self
                    .error("a value (a 'string', a number, TRUE, FALSE, DATE(…) or TIMESTAMP(…))"))
            }
        }
    }

    fn geometry_operand(&mut self) -> Result<GeometryOperand, Cql2Error> {
        match self.peek().cloned() {
            Some(Token::Wkt(wkt)) => {
                self.next += 1;
                Ok(GeometryOperand::Wkt(wkt))
            }
            Some(Token::Word(w))
                if w.eq_ignore_ascii_case("BBOX")
                    && matches!(self.peek_at(1), Some(Token::Symbol("("))) =>
            {
                self.next += 2;
                let mut corners = Vec::new();
                loop {
                    match self.take() {
                        Some(Token::Number(n)) => corners.push(n),
                        _ => {
                            self.next -= 1;
                            return Err(self.error("a number in BBOX(…)"));
                        }
                    }
                    if matches!(self.peek(), Some(Token::Symbol(","))) {
                        self.next += 1;
                    } else {
                        break;
                    }
                }
                self.symbol(")")?;
                match *corners.as_slice() {
                    [x1, y1, x2, y2] if x1 <= x2 && y1 <= y2 => {
                        Ok(GeometryOperand::BBox([x1, y1, x2, y2]))
                    }
                    [_, _, _, _] => Err(Cql2Error::Bbox(
                        "needs its lower corner first: minx, miny, maxx, maxy".into(),
                    )),
                    _ => Err(Cql2Error::Bbox(format!(
                        "needs 4 numbers, got {}",
                        corners.len()
                    ))),
                }
            }
            Some(Token::Word(name)) | Some(Token::Quoted(name)) => {
                self.next += 1;
                Ok(GeometryOperand::Property(name))
            }
            _ => Err(self.error("a geometry: a property, a WKT geometry or BBOX(…)")),
        }
    }
}

/// Parses a CQL2 text filter.
pub fn parse(text: &str) -> Result<Expr, Cql2Error> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(Cql2Error::TooLong {
            max: MAX_FILTER_BYTES,
        });
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(Cql2Error::Empty);
    }
    let mut parser = Parser {
        tokens,
        next: 0,
        end: text.chars().count() + 1,
        depth: 0,
    };
    let expr = parser.or_expression()?;
    if parser.peek().is_some() {
        return Err(parser.error("AND, OR or the end of the filter"));
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn property(name: &str) -> Operand {
        Operand::Property(name.into())
    }

    #[test]
    fn comparisons_and_precedence() {
        let expr = parse("name = '童子河' OR length_km > 2.5 AND NOT placeholder = TRUE").unwrap();
        assert_eq!(
            expr,
            Expr::Or(
                Box::new(Expr::Compare(
                    property("name"),
                    Comparison::Eq,
                    Operand::Literal(Literal::Text("童子河".into()))
                )),
                Box::new(Expr::And(
                    Box::new(Expr::Compare(
                        property("length_km"),
                        Comparison::Gt,
                        Operand::Literal(Literal::Number(2.5))
                    )),
                    Box::new(Expr::Not(Box::new(Expr::Compare(
                        property("placeholder"),
                        Comparison::Eq,
                        Operand::Literal(Literal::Bool(true))
                    )))),
                )),
            )
        );
        assert_eq!(
            parse("(\"town\" <> 'x''y')").unwrap(),
            Expr::Compare(
                property("town"),
                Comparison::Ne,
                Operand::Literal(Literal::Text("x'y".into()))
            )
        );
        assert_eq!(parse("TRUE").unwrap(), Expr::Bool(true));
    }

    #[test]
    fn advanced_comparisons_and_temporal_literals() {
        assert_eq!(
            parse("code NOT LIKE 'BO-%'").unwrap(),
            Expr::Like {
                property: "code".into(),
                pattern: "BO-%".into(),
                negated: true
            }
        );
        assert_eq!(
            parse("radius_m BETWEEN 1000 AND -3e3").unwrap(),
            Expr::Between {
                property: "radius_m".into(),
                low: Literal::Number(1000.0),
                high: Literal::Number(-3000.0),
                negated: false
            }
        );
        assert_eq!(
            parse("status in ('planned','in_progress')").unwrap(),
            Expr::In {
                property: "status".into(),
                values: vec![
                    Literal::Text("planned".into()),
                    Literal::Text("in_progress".into())
                ],
                negated: false
            }
        );
        assert_eq!(
            parse("name_en IS NOT NULL").unwrap(),
            Expr::IsNull {
                property: "name_en".into(),
                negated: true
            }
        );
        let Expr::Compare(_, Comparison::Ge, Operand::Literal(Literal::Timestamp(t))) =
            parse("updated_at >= TIMESTAMP('2025-06-30T00:00:00+08:00')").unwrap()
        else {
            panic!("a timestamp comparison")
        };
        assert_eq!(t.to_rfc3339(), "2025-06-29T16:00:00+00:00");
        assert!(matches!(
            parse("updated_at < DATE('2025-07-01')").unwrap(),
            Expr::Compare(_, Comparison::Lt, Operand::Literal(Literal::Date(_)))
        ));
    }

    #[test]
    fn spatial_functions_take_wkt_bbox_or_properties() {
        assert_eq!(
            parse("S_INTERSECTS(geometry, POLYGON((119 31, 120 31, 120 32, 119 31)))").unwrap(),
            Expr::Spatial(
                SpatialFunction::Intersects,
                GeometryOperand::Property("geometry".into()),
                GeometryOperand::Wkt("POLYGON((119 31, 120 31, 120 32, 119 31))".into())
            )
        );
        assert_eq!(
            parse("s_within(geometry, BBOX(119.8, 31.7, 120.0, 31.9))").unwrap(),
            Expr::Spatial(
                SpatialFunction::Within,
                GeometryOperand::Property("geometry".into()),
                GeometryOperand::BBox([119.8, 31.7, 120.0, 31.9])
            )
        );
    }

    #[test]
    fn errors_name_the_place_and_the_expectation() {
        assert_eq!(parse("name == 'a'").unwrap_err().position(), Some(7));
        assert_eq!(
            parse("name = ").unwrap_err().to_string(),
            "the filter ends where a value (a 'string', a number, TRUE, FALSE, DATE(…) or TIMESTAMP(…)) was expected"
        );
        assert_eq!(
            parse("name == 'a'").unwrap_err().to_string(),
            "at character 7: expected a value (a 'string', a number, TRUE, FALSE, DATE(…) or TIMESTAMP(…)), found '='"
        );
        assert_eq!(
            parse("name = 'a").unwrap_err().to_string(),
            "at character 8: the string is not closed"
        );
        assert_eq!(
            parse("name = 'a' code = 'b'").unwrap_err().to_string(),
            "at character 12: expected AND, OR or the end of the filter, found 'code'"
        );
        assert_eq!(
            parse("S_INTERSECTS(geometry, POINT(1 2)")
                .unwrap_err()
                .to_string(),
            "the filter ends where ')' was expected"
        );
        assert_eq!(
            parse("S_INTERSECTS(geometry, BBOX(3, 1, 2, 4))")
                .unwrap_err()
                .to_string(),
            "BBOX(…) needs its lower corner first: minx, miny, maxx, maxy"
        );
        assert_eq!(
            parse("updated_at > DATE('30/06/2025')")
                .unwrap_err()
                .to_string(),
            "at character 14: DATE('30/06/2025') is not a date like 2025-06-30"
        );
        assert_eq!(
            parse("a ; b").unwrap_err().to_string(),
            "at character 3: unexpected ';'"
        );
        assert_eq!(parse("   ").unwrap_err().to_string(), "the filter is empty");
        let deep = format!("{}a = 1{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(
            parse(&deep).unwrap_err().to_string(),
            "the filter nests deeper than 32 levels"
        );
        assert!(
            parse(&"a = 1 OR ".repeat(3000))
                .unwrap_err()
                .to_string()
                .starts_with("the filter is longer than")
        );
    }
}
