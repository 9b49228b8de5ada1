//! The stored sentence templates: the few statements, operators and filters they may use, the
//! environment that renders them bounded by fuel and by the size of what they write, and the
//! `places` filter that names items as the report does.

use minijinja::value::Value as JinjaValue;
use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

/// Template steps one sentence template may take: far above any real report part, low enough that
/// a looping template stops in milliseconds.
const TEMPLATE_FUEL: u64 = 200_000;

/// Bytes one sentence template may render: a part that names 50 items in full is about 20 KB.
pub const MAX_SENTENCE_BYTES: usize = 256 * 1024;

/// The filters stored templates may use: each one's output grows at most in proportion to its
/// input, so a 20 KB template cannot build text larger than its figures allow.
const FILTERS: &[&str] = &[
    "abs", "count", "default", "first", "float", "int", "join", "last", "length", "list", "lower",
    "map", "max", "min", "places", "reverse", "round", "sort", "sum", "trim", "unique", "upper",
];

/// The only statements stored templates may use. Assignments (`set`, `with`), macros, includes
/// and filter blocks are refused: with them a template could double a string on every line.
const STATEMENTS: &[&str] = &["if", "elif", "else", "endif", "for", "endfor"];

/// The environment of the stored sentence templates: bounded by fuel, lenient with absent figures,
/// with only the filters of [`FILTERS`].
pub fn template_env() -> Environment<'static> {
    use minijinja::{filters, tests};
    let mut env = Environment::empty();
    // a figure the data does not have renders empty instead of failing the whole report;
    // templates write `or 0` where a number must show
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.add_filter("abs", filters::abs);
    env.add_filter("count", filters::length);
    env.add_filter("default", filters::default);
    env.add_filter("first", filters::first);
    env.add_filter("float", filters::float);
    env.add_filter("int", filters::int);
    env.add_filter("join", filters::join);
    env.add_filter("last", filters::last);
    env.add_filter("length", filters::length);
    env.add_filter("list", filters::list);
    env.add_filter("lower", filters::lower);
    env.add_filter("map", filters::map);
    env.add_filter("max", filters::max);
    env.add_filter("min", filters::min);
    env.add_filter("places", places);
    env.add_filter("reverse", filters::reverse);
    env.add_filter("round", filters::round);
    env.add_filter("sort", filters::sort);
    env.add_filter("sum", filters::sum);
    env.add_filter("trim", filters::trim);
    env.add_filter("unique", filters::unique);
    env.add_filter("upper", filters::upper);
    // tests only answer yes or no: all of the common ones are safe
    env.add_test("defined", tests::is_defined);
    env.add_test("undefined", tests::is_undefined);
    env.add_test("none", tests::is_none);
    env.add_test("number", tests::is_number);
    env.add_test("string", tests::is_string);
    env.add_test("sequence", tests::is_sequence);
    env.add_test("mapping", tests::is_mapping);
    env.add_test("true", tests::is_true);
    env.add_test("false", tests::is_false);
    env.add_test("odd", tests::is_odd);
    env.add_test("even", tests::is_even);
    env.add_test("in", tests::is_in);
    env.add_test("eq", tests::is_eq);
    env.add_test("ne", tests::is_ne);
    env
}

/// A stored template that is refused or cannot be rendered; the message names the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("line {line}: {detail}")]
    AtLine { line: usize, detail: String },
    #[error("{0}")]
    Whole(String),
    #[error("renders more than {} KB of text", MAX_SENTENCE_BYTES / 1024)]
    TooLong,
}

fn located(line: Option<usize>, detail: &str) -> TemplateError {
    match line {
        Some(line) => TemplateError::AtLine {
            line,
            detail: detail.to_string(),
        },
        None => TemplateError::Whole(detail.to_string()),
    }
}

/// Checks that a stored template compiles and keeps to the statements, operators and filters
/// stored templates may use; the error names the line.
pub fn check_template(source: &str) -> Result<(), TemplateError> {
    use minijinja::machinery::{Token, WhitespaceConfig, tokenize};
    let mut previous: Option<Token> = None;
    for item in tokenize(
        source,
        false,
        Default::default(),
        WhitespaceConfig::default(),
    ) {
        let (token, span) =
            item.map_err(|e| located(e.line(), e.detail().unwrap_or("syntax error")))?;
        let line = Some(span.start_line as usize);
        match (&previous, &token) {
            (_, Token::Mul | Token::Pow | Token::Tilde) => {
                return Err(located(
                    line,
                    "the operators *, ** and ~ are not allowed in report templates (they repeat or join text); write the text out",
                ));
            }
            (Some(Token::BlockStart), Token::Ident(name)) if !STATEMENTS.contains(name) => {
                return Err(located(
                    line,
                    &format!(
                        "{{% {name} %}} is not allowed in report templates (allowed: {})",
                        STATEMENTS.join(", ")
                    ),
                ));
            }
            (Some(Token::Pipe), Token::Ident(name)) if !FILTERS.contains(name) => {
                return Err(located(
                    line,
                    &format!(
                        "unknown filter {name} (report templates may use: {})",
                        FILTERS.join(", ")
                    ),
                ));
            }
            _ => {}
        }
        previous = Some(token);
    }
    let env = template_env();
    env.template_from_str(source)
        .map(|_| ())
        .map_err(|e| located(e.line(), e.detail().unwrap_or("syntax error")))
}

/// Collects rendered text up to a bound, then refuses more.
struct Capped {
    text: Vec<u8>,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + bytes.len() > MAX_SENTENCE_BYTES {
            self.over = true;
            return Err(std::io::Error::other("the rendered text is too long"));
        }
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders one sentence template against its figures; whitespace at the ends is trimmed. The
/// template is checked first (a stored one may predate the rules), and its text is bounded.
pub fn sentences(
    env: &Environment<'_>,
    source: &str,
    context: &Value,
) -> Result<String, TemplateError> {
    check_template(source)?;
    let template = env
        .template_from_str(source)
        .map_err(|e| located(e.line(), e.detail().unwrap_or("cannot be compiled")))?;
    let mut out = Capped {
        text: Vec::new(),
        over: false,
    };
    let rendered = template.render_captured_to(JinjaValue::from_serialize(context), &mut out);
    if out.over {
        return Err(TemplateError::TooLong);
    }
    rendered.map_err(|e| located(e.line(), e.detail().unwrap_or("cannot be rendered")))?;
    Ok(String::from_utf8_lossy(&out.text).trim().to_string())
}

/// Items as the report names places: grouped by town in order, the town written once per group,
/// e.g. 新闸崔家浜,邹区安基浜、钱家浜.
fn places(items: Vec<JinjaValue>) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for item in &items {
        let text = |key: &str| {
            item.get_attr(key)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let (town, site) = (text("town_short"), text("site_name"));
        let site = if site.is_empty() { text("name") } else { site };
        match groups.last_mut() {
            Some((last, sites)) if *last == town => sites.push(site),
            _ => groups.push((town, vec![site])),
        }
    }
    groups
        .into_iter()
        .map(|(town, sites)| format!("{town}{}", sites.join("、")))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_filter_is_registered_and_no_other() {
        let env = template_env();
        let context = serde_json::json!({"x": [1, 2]});
        for name in FILTERS {
            let source = format!("{{{{ x|{name} }}}}");
            let result = sentences(&env, &source, &context);
            assert!(
                !result
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("unknown filter")),
                "{name}: {result:?}"
            );
        }
        let unknown = env
            .render_str("{{ x|replace('', 'y') }}", minijinja::context! {})
            .unwrap_err();
        assert!(unknown.to_string().contains("unknown filter"), "{unknown}");
    }
    use serde_json::json;

    #[test]
    fn places_name_each_town_once_per_run() {
        let items = json!([
            {"town_short": "新闸", "site_name": "崔家浜"},
            {"town_short": "邹区", "site_name": "安基浜"},
            {"town_short": "邹区", "site_name": "钱家浜"},
        ]);
        let items: Vec<JinjaValue> = items
            .as_array()
            .into_iter()
            .flatten()
            .map(JinjaValue::from_serialize)
            .collect();
        assert_eq!(places(items), "新闸崔家浜,邹区安基浜、钱家浜");
    }

    #[test]
    fn template_errors_name_the_line_and_loops_run_out_of_fuel() {
        let err = check_template("第一行\n{{ total ").err();
        assert!(err.is_some_and(|e| e.to_string().starts_with("line 2")));
        let env = template_env();
        let endless =
            "{% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}";
        assert!(sentences(&env, endless, &json!({})).is_err());
    }
}
