//! List filters (`field=v`, `field[op]=v`) turned into SQL over a whitelist of columns.

use rusqlite::types::Value;
use std::fmt::Write as _;

use super::error::{Error, Result};

/// A filter operator as the REST API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `field=v`.
    Eq,
    /// `ne`.
    Ne,
    /// `lt`.
    Lt,
    /// `lte` (also `le`).
    Lte,
    /// `gt`.
    Gt,
    /// `gte` (also `ge`).
    Gte,
    /// `in`: one of a list.
    In,
    /// `nin`: none of a list.
    Nin,
    /// `all`: a list column holds all of the values.
    All,
    /// `ctn`: contains a substring.
    Ctn,
    /// `start_with`: starts with a prefix.
    StartWith,
}

impl Op {
    /// Parses an operator name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "lt" => Self::Lt,
            "lte" | "le" => Self::Lte,
            "gt" => Self::Gt,
            "gte" | "ge" => Self::Gte,
            "in" => Self::In,
            "nin" => Self::Nin,
            "all" => Self::All,
            "ctn" => Self::Ctn,
            "start_with" => Self::StartWith,
            _ => return None,
        })
    }
}

/// One condition of a list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The wire field name.
    pub field: String,
    /// The operator.
    pub op: Op,
    /// The operand(s), as given (lists already split).
    pub values: Vec<String>,
}

/// How a column's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer.
    Int,
    /// Text.
    Text,
    /// Stored as unix milliseconds, given as unix seconds or an RFC 3339 date.
    Millis,
    /// Stored and given as unix seconds.
    Secs,
    /// A JSON array of integers (membership tests).
    IntList,
}

/// A filterable column: its wire name, SQL expression and kind.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Wire name.
    pub field: &'static str,
    /// SQL expression.
    pub sql: &'static str,
    /// Value kind.
    pub kind: Kind,
}

/// Splits a list operand given as `a,b`, `a, b` or repeated keys.
pub fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Collects filters from query pairs (`field`, `field[op]`, `field[op][]`), skipping `reserved`
/// keys such as `limit`.
pub fn filters_from_pairs(pairs: &[(String, String)], reserved: &[&str]) -> Result<Vec<Filter>> {
    let mut out: Vec<Filter> = Vec::new();
    for (key, value) in pairs {
        let split_at = if key.starts_with("extensions[") {
            key.find(']').map(|i| i + 1).filter(|i| *i < key.len())
        } else {
            key.find('[')
        };
        let (field, op) = match split_at {
            Some(i) if key.starts_with("extensions[") => {
                let rest = key[i..].trim_end_matches("[]");
                let op_name = rest.trim_start_matches('[').trim_end_matches(']');
                let op = Op::parse(op_name)
                    .ok_or_else(|| Error::bad(&key[..i], format!("unknown operator {op_name}")))?;
                (&key[..i], op)
            }
            Some(i) => {
                let rest = key[i + 1..].trim_end_matches("[]");
                let op_name = rest.trim_end_matches(']');
                let op = Op::parse(op_name)
                    .ok_or_else(|| Error::bad(&key[..i], format!("unknown operator {op_name}")))?;
                (&key[..i], op)
            }
            None => (key.as_str(), Op::Eq),
        };
        let field = field.trim();
        if reserved.contains(&field) {
            continue;
        }
        if let Some(existing) = out.iter_mut().find(|f| f.field == field && f.op == op) {
            existing.values.push(value.clone());
        } else {
            out.push(Filter {
                field: field.to_owned(),
                op,
                values: vec![value.clone()],
            });
        }
    }
    for f in &mut out {
        if matches!(f.op, Op::In | Op::Nin | Op::All) {
            f.values = split_list(&f.values);
        }
    }
    Ok(out)
}

fn convert(kind: Kind, field: &str, raw: &str) -> Result<Value> {
    let bad = || Error::bad(field, format!("invalid value {raw:?}"));
    Ok(match kind {
        Kind::Text => Value::Text(raw.to_owned()),
        Kind::Int | Kind::Secs | Kind::IntList => {
            Value::Integer(raw.trim().parse::<i64>().map_err(|_| bad())?)
        }
        Kind::Millis => {
            let raw = raw.trim();
            if let Ok(secs) = raw.parse::<f64>() {
                Value::Integer((secs * 1000.0) as i64)
            } else {
                let t = time::OffsetDateTime::parse(
                    raw,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|_| bad())?;
                Value::Integer((t.unix_timestamp_nanos() / 1_000_000) as i64)
            }
        }
    })
}

/// SQL `AND` terms (each starting with ` AND `) and their parameters for `filters`.
///
/// A filter on a field outside `columns` is a 400 naming the field.
pub fn where_sql(filters: &[Filter], columns: &[Column]) -> Result<(String, Vec<Value>)> {
    let mut sql = String::new();
    let mut params = Vec::new();
    for f in filters {
        let col = columns
            .iter()
            .find(|c| c.field == f.field)
            .ok_or_else(|| Error::bad(&f.field, "is not a filterable field"))?;
        let first = || {
            f.values
                .first()
                .ok_or_else(|| Error::bad(&f.field, "needs a value"))
        };
        let placeholders = |n: usize| vec!["?"; n].join(",");
        match (f.op, col.kind) {
            (Op::In | Op::Nin | Op::All | Op::Eq, Kind::IntList) => {
                let mut terms = Vec::new();
                for v in &f.values {
                    params.push(convert(Kind::Int, &f.field, v)?);
                    terms.push(format!(
                        "EXISTS (SELECT 1 FROM json_each({}) WHERE value = ?)",
                        col.sql
                    ));
                }
                if terms.is_empty() {
                    continue;
                }
                let joined = match f.op {
                    Op::All | Op::Eq => terms.join(" AND "),
                    _ => terms.join(" OR "),
                };
                if f.op == Op::Nin {
                    let _ = write!(sql, " AND NOT ({joined})");
                } else {
                    let _ = write!(sql, " AND ({joined})");
                }
            }
            (Op::In | Op::Nin | Op::All, _) => {
                if f.values.is_empty() {
                    if f.op == Op::In {
                        sql.push_str(" AND 0");
                    }
                    continue;
                }
                for v in &f.values {
                    params.push(convert(col.kind, &f.field, v)?);
                }
                let not = if f.op == Op::Nin { "NOT " } else { "" };
                let _ = write!(
                    sql,
                    " AND {} {not}IN ({})",
                    col.sql,
                    placeholders(f.values.len())
                );
            }
            (Op::Ctn | Op::StartWith, Kind::Text) => {
                let v = first()?;
                let escaped = v
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let pattern = if f.op == Op::Ctn {
                    format!("%{escaped}%")
                } else {
                    format!("{escaped}%")
                };
                params.push(Value::Text(pattern));
                let _ = write!(sql, " AND {} LIKE ? ESCAPE '\\'", col.sql);
            }
            (Op::Ctn | Op::StartWith, _) => {
                return Err(Error::bad(&f.field, "operator needs a text field"));
            }
            (op, kind) => {
                let symbol = match op {
                    Op::Eq => "=",
                    Op::Ne => "IS NOT",
                    Op::Lt => "<",
                    Op::Lte => "<=",
                    Op::Gt => ">",
                    _ => ">=",
                };
                params.push(convert(kind, &f.field, first()?)?);
                let _ = write!(sql, " AND {} {symbol} ?", col.sql);
            }
        }
    }
    Ok((sql, params))
}

/// `sort_asc=field` / `sort_desc=field` from query pairs, checked against `columns`.
pub fn sort_from_pairs(
    pairs: &[(String, String)],
    columns: &[Column],
) -> Result<Option<(&'static str, bool)>> {
    for (key, value) in pairs {
        let asc = match key.as_str() {
            "sort_asc" => true,
            "sort_desc" => false,
            _ => continue,
        };
        let col = columns
            .iter()
            .find(|c| c.field == value)
            .ok_or_else(|| Error::bad(key, format!("cannot sort by {value}")))?;
        return Ok(Some((col.sql, asc)));
    }
    Ok(None)
}

/// Parses an optional non-negative integer parameter with a default and maximum.
pub fn bounded(pairs: &[(String, String)], key: &str, default: i64, max: i64) -> Result<i64> {
    match pairs.iter().find(|(k, _)| k == key) {
        None => Ok(default),
        Some((_, v)) => {
            let n: i64 = v
                .trim()
                .parse()
                .map_err(|_| Error::bad(key, "must be a non-negative integer"))?;
            if n < 0 {
                return Err(Error::bad(key, "must be a non-negative integer"));
            }
            Ok(n.min(max))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const COLS: &[Column] = &[
        Column {
            field: "type",
            sql: "d.type",
            kind: Kind::Int,
        },
        Column {
            field: "name",
            sql: "d.name",
            kind: Kind::Text,
        },
        Column {
            field: "updated_at",
            sql: "d.updated_at",
            kind: Kind::Millis,
        },
    ];

    #[test]
    fn parses_operators_and_lists() {
        let p = pairs(&[
            ("type[in]", "2,3"),
            ("name[ctn]", "Te am"),
            ("limit", "10"),
            ("updated_at[gt]", "1704164645"),
        ]);
        let f = filters_from_pairs(&p, &["limit"]).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].values, vec!["2", "3"]);
        let (sql, params) = where_sql(&f, COLS).unwrap();
        assert_eq!(
            sql,
            " AND d.type IN (?,?) AND d.name LIKE ? ESCAPE '\\' AND d.updated_at > ?"
        );
        assert_eq!(params[3], Value::Integer(1_704_164_645_000));
    }

    #[test]
    fn unknown_fields_and_operators_are_400() {
        let f = filters_from_pairs(&pairs(&[("secret", "1")]), &[]).unwrap();
        assert_eq!(where_sql(&f, COLS).unwrap_err().status(), 400);
        assert!(filters_from_pairs(&pairs(&[("type[zz]", "1")]), &[]).is_err());
        let f = filters_from_pairs(&pairs(&[("type", "x")]), &[]).unwrap();
        assert_eq!(where_sql(&f, COLS).unwrap_err().status(), 400);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Any query pairs give filters and SQL or a 400, never a panic, and every value
        /// travels as a parameter, never inside the SQL text.
        #[test]
        fn arbitrary_pairs_never_panic(
            pairs in proptest::collection::vec(("[a-z_\\[\\]]{0,16}", "\\PC{0,12}"), 0..6)
        ) {
            let pairs: Vec<(String, String)> = pairs;
            if let Ok(filters) = filters_from_pairs(&pairs, &["limit"]) {
                match where_sql(&filters, COLS) {
                    Ok((sql, params)) => {
                        proptest::prop_assert_eq!(sql.matches('?').count(), params.len());
                    }
                    Err(e) => proptest::prop_assert_eq!(e.status(), 400),
                }
            }
            let _ = bounded(&pairs, "limit", 100, 100);
        }
    }

    #[test]
    fn bounded_caps_and_rejects() {
        let p = pairs(&[("limit", "500"), ("skip", "-1")]);
        assert_eq!(bounded(&p, "limit", 100, 100).unwrap(), 100);
        assert!(bounded(&p, "skip", 0, i64::MAX).is_err());
        assert_eq!(bounded(&p, "offset", 0, 10).unwrap(), 0);
    }
}
