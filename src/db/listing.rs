//! Pieces shared by the list queries: a filter on one column, text search, and ordering and
//! paging from a whitelist of sortable columns. Column names are `&'static str`, so the compiler
//! proves they come from the code's constants, never from input; values are always bound.

use sqlx::{Postgres, QueryBuilder};

/// `AND column = ANY($n)` when values are given.
pub fn push_any(q: &mut QueryBuilder<'_, Postgres>, column: &'static str, values: &[String]) {
    if !values.is_empty() {
        q.push(format!(" AND {column} = ANY("))
            .push_bind(values.to_vec())
            .push(")");
    }
}

/// `AND (a ILIKE $n OR b ILIKE $n …)`, with the text's own wildcards escaped.
pub fn push_text(q: &mut QueryBuilder<'_, Postgres>, columns: &[&'static str], text: &str) {
    let pattern = format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    q.push(" AND (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push(format!("{column} ILIKE "))
            .push_bind(pattern.clone());
    }
    q.push(")");
}

/// `ORDER BY <column> [DESC] NULLS LAST, <id> LIMIT $n OFFSET $m`, the column looked up by
/// name in `sorts` (the first entry when the name is not there).
pub fn push_order_and_page(
    q: &mut QueryBuilder<'_, Postgres>,
    sorts: &[(&str, &'static str)],
    sort: (&str, bool),
    id_column: &'static str,
    limit: i64,
    offset: i64,
) {
    let column = sorts
        .iter()
        .find(|(name, _)| *name == sort.0)
        .or(sorts.first())
        .map_or(id_column, |(_, sql)| sql);
    let direction = if sort.1 { "DESC" } else { "ASC" };
    q.push(format!(
        " ORDER BY {column} {direction} NULLS LAST, {id_column}"
    ));
    q.push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
}
