//! List filters, sorting and paging of `GET /users/v2`, `/chat/Dialog` and `/chat/Message`.
//!
//! The caller splits the query string into decoded `(key, value)` pairs; [`Query::parse`] turns
//! them into typed filters, and [`Query::to_pairs`] is the inverse. Keys look like `login`
//! (equality), `date_sent[lt]`, `type[in]` (comma list), `id[in][]` (one pair per element),
//! `extensions[color]`, `sort_desc`, `limit`, `skip`, `offset`, `count`.

use std::fmt;
use std::str::FromStr;

/// Why a query could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// An operator that the API does not have, e.g. `name[like]`.
    #[error("unknown filter operator {op:?} in {key:?}")]
    UnknownOp {
        /// The whole key.
        key: String,
        /// The operator found.
        op: String,
    },
    /// A key that is not `field`, `field[op]` or `field[op][]`.
    #[error("malformed query key {0:?}")]
    BadKey(String),
    /// `limit`, `skip` or `offset` that is not a non-negative integer.
    #[error("{key} must be a non-negative integer, got {value:?}")]
    BadNumber {
        /// The key.
        key: String,
        /// The value found.
        value: String,
    },
    /// A flag (`count`) that is not `0`, `1`, `true` or `false`.
    #[error("{key} must be 0 or 1, got {value:?}")]
    BadFlag {
        /// The key.
        key: String,
        /// The value found.
        value: String,
    },
    /// A filter value that does not fit the field's type.
    #[error("invalid value {value:?} for filter on {field}")]
    BadValue {
        /// The filtered field.
        field: String,
        /// The value found.
        value: String,
    },
}

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Equality: a plain `field=value`.
    Eq,
    /// `lt`: less than.
    Lt,
    /// `lte`: less than or equal.
    Lte,
    /// `gt`: greater than.
    Gt,
    /// `gte`: greater than or equal.
    Gte,
    /// `ne`: not equal.
    Ne,
    /// `in`: one of a list.
    In,
    /// `nin`: none of a list.
    Nin,
    /// `all`: an array field contains every value of a list.
    All,
    /// `ctn`: contains a substring.
    Ctn,
    /// `start_with`: has a prefix (users).
    StartWith,
}

impl Op {
    /// Every operator, in declaration order.
    pub const ALL: [Op; 11] = [
        Op::Eq,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::Ne,
        Op::In,
        Op::Nin,
        Op::All,
        Op::Ctn,
        Op::StartWith,
    ];

    /// The operator's name in a query key (`eq` for equality, which is written as a plain key).
    pub const fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Ne => "ne",
            Op::In => "in",
            Op::Nin => "nin",
            Op::All => "all",
            Op::Ctn => "ctn",
            Op::StartWith => "start_with",
        }
    }

    /// Whether the operator takes a list of values (`in`, `nin`, `all`).
    pub const fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Nin | Op::All)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Op {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Op::ALL
            .into_iter()
            .find(|op| op.as_str() == s)
            .ok_or_else(|| FilterError::UnknownOp {
                key: s.to_owned(),
                op: s.to_owned(),
            })
    }
}

/// The value of a filter: one string, or a list for `in`, `nin` and `all`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FilterValue {
    /// A single value.
    One(String),
    /// A list of values.
    Many(Vec<String>),
}

impl FilterValue {
    /// The values as a slice (one element for [`FilterValue::One`]).
    pub fn as_slice(&self) -> &[String] {
        match self {
            FilterValue::One(v) => std::slice::from_ref(v),
            FilterValue::Many(vs) => vs,
        }
    }
}

/// One filter: `field`, operator and value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    /// The filtered field (`type`, `date_sent`, `extensions[color]`, `attachments.type`...).
    pub field: String,
    /// The operator.
    pub op: Op,
    /// The value or values.
    pub value: FilterValue,
}

impl Filter {
    /// A filter with one value.
    pub fn new(field: impl Into<String>, op: Op, value: impl Into<String>) -> Self {
        Filter {
            field: field.into(),
            op,
            value: FilterValue::One(value.into()),
        }
    }

    /// A filter with a list of values (`in`, `nin`, `all`).
    pub fn list<I, S>(field: impl Into<String>, op: Op, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Filter {
            field: field.into(),
            op,
            value: FilterValue::Many(values.into_iter().map(Into::into).collect()),
        }
    }

    /// The values as a slice.
    pub fn values(&self) -> &[String] {
        self.value.as_slice()
    }

    /// The values parsed as `T` (ids, numbers, dialog types...).
    pub fn values_as<T: FromStr>(&self) -> Result<Vec<T>, FilterError> {
        self.values()
            .iter()
            .map(|v| {
                v.trim().parse().map_err(|_| FilterError::BadValue {
                    field: self.field.clone(),
                    value: v.clone(),
                })
            })
            .collect()
    }
}

/// Sorting: `sort_asc=field` or `sort_desc=field`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sort {
    /// The sorted field.
    pub field: String,
    /// Whether the order is descending (`sort_desc`).
    pub descending: bool,
}

impl Sort {
    /// Ascending order on `field`.
    pub fn asc(field: impl Into<String>) -> Self {
        Sort {
            field: field.into(),
            descending: false,
        }
    }

    /// Descending order on `field`.
    pub fn desc(field: impl Into<String>) -> Self {
        Sort {
            field: field.into(),
            descending: true,
        }
    }
}

/// How [`Query::to_pairs`] writes list values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ListStyle {
    /// `type[in]=2,3` (dialogs and messages).
    #[default]
    Comma,
    /// `id[in][]=1&id[in][]=2` (users v2, the SDK's array mode).
    Brackets,
}

/// Filters, sort and paging of a list request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Query {
    /// Filters in the order they came.
    pub filters: Vec<Filter>,
    /// Sort order, if any (the last `sort_asc`/`sort_desc` wins).
    pub sort: Option<Sort>,
    /// Page size.
    pub limit: Option<u64>,
    /// Entries to skip (`skip`, dialogs and messages).
    pub skip: Option<u64>,
    /// Entries to skip (`offset`, users v2).
    pub offset: Option<u64>,
    /// Whether only the count is asked for (`count=1`).
    pub count: bool,
}

/// Reserved (non-filter) keys.
const LIMIT: &str = "limit";
const SKIP: &str = "skip";
const OFFSET: &str = "offset";
const COUNT: &str = "count";
const SORT_ASC: &str = "sort_asc";
const SORT_DESC: &str = "sort_desc";

/// A key split into field, operator and whether it ended in `[]`.
fn split_key(key: &str) -> Result<(String, Op, bool), FilterError> {
    let bad = || FilterError::BadKey(key.to_owned());
    let (base, mut rest) = match key.find('[') {
        Some(i) => key.split_at(i),
        None => (key, ""),
    };
    if base.is_empty() || base.contains(']') {
        return Err(bad());
    }
    let mut segments = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(bad)?;
        let end = inner.find(']').ok_or_else(bad)?;
        let seg = &inner[..end];
        if seg.contains('[') {
            return Err(bad());
        }
        segments.push(seg);
        rest = &inner[end + 1..];
    }
    let mut field = base.to_owned();
    let mut segs = segments.as_slice();
    if base == "extensions" {
        match segs.split_first() {
            Some((name, tail)) if !name.is_empty() => {
                field = format!("extensions[{name}]");
                segs = tail;
            }
            _ => return Err(bad()),
        }
    }
    let brackets = segs.last() == Some(&"");
    if brackets {
        segs = &segs[..segs.len() - 1];
    }
    let op = match segs {
        [] if brackets => Op::In,
        [] => Op::Eq,
        [op] => op.parse().map_err(|_| FilterError::UnknownOp {
            key: key.to_owned(),
            op: (*op).to_owned(),
        })?,
        _ => return Err(bad()),
    };
    Ok((field, op, brackets))
}

fn parse_u64(key: &str, value: &str) -> Result<u64, FilterError> {
    let t = value.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FilterError::BadNumber {
            key: key.to_owned(),
            value: value.to_owned(),
        });
    }
    t.parse().map_err(|_| FilterError::BadNumber {
        key: key.to_owned(),
        value: value.to_owned(),
    })
}

fn parse_flag(key: &str, value: &str) -> Result<bool, FilterError> {
    match value.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        _ => Err(FilterError::BadFlag {
            key: key.to_owned(),
            value: value.to_owned(),
        }),
    }
}

impl Query {
    /// An empty query.
    pub fn new() -> Self {
        Query::default()
    }

    /// Reads decoded `(key, value)` pairs.
    ///
    /// `limit`, `skip`, `offset`, `count`, `sort_asc` and `sort_desc` are paging and sorting;
    /// every other key is a filter. List operators split a plain value on commas (`type[in]=2,3`)
    /// and collect repeated `[]` keys (`id[in][]=1&id[in][]=2`); a bare `field[]` is `in`.
    /// Endpoint-specific parameters (`chat_dialog_id`, `mark_as_read`...) come out as equality
    /// filters; take them out with [`Query::take_eq`].
    pub fn parse<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self, FilterError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut q = Query::new();
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            match key {
                LIMIT => q.limit = Some(parse_u64(key, value)?),
                SKIP => q.skip = Some(parse_u64(key, value)?),
                OFFSET => q.offset = Some(parse_u64(key, value)?),
                COUNT => q.count = parse_flag(key, value)?,
                SORT_ASC | SORT_DESC => {
                    if value.trim().is_empty() {
                        return Err(FilterError::BadValue {
                            field: key.to_owned(),
                            value: value.to_owned(),
                        });
                    }
                    q.sort = Some(Sort {
                        field: value.to_owned(),
                        descending: key == SORT_DESC,
                    });
                }
                _ => q.push_pair(key, value)?,
            }
        }
        Ok(q)
    }

    fn push_pair(&mut self, key: &str, value: &str) -> Result<(), FilterError> {
        let (field, op, brackets) = split_key(key)?;
        if !op.takes_list() {
            self.filters.push(Filter {
                field,
                op,
                value: FilterValue::One(value.to_owned()),
            });
            return Ok(());
        }
        let items: Vec<String> = if brackets {
            vec![value.to_owned()]
        } else {
            value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let existing = self
            .filters
            .iter_mut()
            .find(|f| f.field == field && f.op == op);
        match existing {
            Some(Filter {
                value: FilterValue::Many(list),
                ..
            }) => list.extend(items),
            _ => self.filters.push(Filter {
                field,
                op,
                value: FilterValue::Many(items),
            }),
        }
        Ok(())
    }

    /// Writes the query back as `(key, value)` pairs: filters in order, then sort, `count`,
    /// `limit`, `skip` and `offset`.
    pub fn to_pairs(&self, style: ListStyle) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for f in &self.filters {
            let key = match f.op {
                Op::Eq => f.field.clone(),
                op => format!("{}[{}]", f.field, op.as_str()),
            };
            match (&f.value, style) {
                (FilterValue::One(v), _) => out.push((key, v.clone())),
                (FilterValue::Many(vs), ListStyle::Comma) => out.push((key, vs.join(","))),
                (FilterValue::Many(vs), ListStyle::Brackets) => {
                    let key = format!("{key}[]");
                    out.extend(vs.iter().map(|v| (key.clone(), v.clone())));
                }
            }
        }
        if let Some(s) = &self.sort {
            let key = if s.descending { SORT_DESC } else { SORT_ASC };
            out.push((key.to_owned(), s.field.clone()));
        }
        if self.count {
            out.push((COUNT.to_owned(), "1".to_owned()));
        }
        for (key, v) in [
            (LIMIT, self.limit),
            (SKIP, self.skip),
            (OFFSET, self.offset),
        ] {
            if let Some(v) = v {
                out.push((key.to_owned(), v.to_string()));
            }
        }
        out
    }

    /// Adds a filter.
    pub fn with_filter(mut self, f: Filter) -> Self {
        self.filters.push(f);
        self
    }

    /// Sets the sort order.
    pub fn with_sort(mut self, s: Sort) -> Self {
        self.sort = Some(s);
        self
    }

    /// Sets the page size.
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets `skip`.
    pub fn with_skip(mut self, skip: u64) -> Self {
        self.skip = Some(skip);
        self
    }

    /// Sets `offset`.
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Sets the count flag.
    pub fn with_count(mut self, count: bool) -> Self {
        self.count = count;
        self
    }

    /// The number of entries to skip, from `offset` or `skip` (0 if neither is given).
    pub fn start(&self) -> u64 {
        self.offset.or(self.skip).unwrap_or(0)
    }

    /// The filters on `field`.
    pub fn filters_on<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Filter> + 'a {
        self.filters.iter().filter(move |f| f.field == field)
    }

    /// Removes and returns the value of the first equality filter on `field`.
    pub fn take_eq(&mut self, field: &str) -> Option<String> {
        let i = self
            .filters
            .iter()
            .position(|f| f.field == field && f.op == Op::Eq)?;
        match self.filters.remove(i).value {
            FilterValue::One(v) => Some(v),
            FilterValue::Many(vs) => Some(vs.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    #[test]
    fn parses_the_users_v2_capture() {
        let q = Query::parse(pairs(
            "created_at[gt]=1700000000&id[in][]=10&id[in][]=5&id[in][]=6&limit=10&login=alice&offset=0&sort_desc=created_at",
        ))
        .unwrap();
        assert_eq!(
            q.filters,
            [
                Filter::new("created_at", Op::Gt, "1700000000"),
                Filter::list("id", Op::In, ["10", "5", "6"]),
                Filter::new("login", Op::Eq, "alice"),
            ]
        );
        assert_eq!(q.sort, Some(Sort::desc("created_at")));
        assert_eq!((q.limit, q.offset, q.skip), (Some(10), Some(0), None));
        assert_eq!(q.filters[1].values_as::<u64>().unwrap(), [10, 5, 6]);
        let back = Query::parse(q.to_pairs(ListStyle::Brackets)).unwrap();
        assert_eq!(back, q);
    }

    #[test]
    fn parses_the_dialog_and_message_captures() {
        let mut q = Query::parse(pairs(
            "count=0&limit=100&name[ctn]=Te am&skip=0&sort_desc=last_message_date_sent&type[in]=2,3&updated_at[gt]=1704164645",
        ))
        .unwrap();
        assert!(!q.count);
        assert_eq!(q.filters[1], Filter::list("type", Op::In, ["2", "3"]));
        assert_eq!(q.filters[0].value, FilterValue::One("Te am".into()));
        assert_eq!(q.start(), 0);
        assert_eq!(
            q.to_pairs(ListStyle::Comma)[1],
            ("type[in]".to_owned(), "2,3".to_owned())
        );
        assert_eq!(q.take_eq("missing"), None);

        let mut m = Query::parse(pairs(
            "_id[nin]=a, b&chat_dialog_id=5f1e6a0c3d9e4a0001a1b2c3&date_sent[lt]=1704164645&preview=1&mark_as_read=0",
        ))
        .unwrap();
        assert_eq!(
            m.take_eq("chat_dialog_id").as_deref(),
            Some("5f1e6a0c3d9e4a0001a1b2c3")
        );
        assert_eq!(m.take_eq("preview").as_deref(), Some("1"));
        assert_eq!(m.take_eq("mark_as_read").as_deref(), Some("0"));
        assert_eq!(
            m.filters,
            [
                Filter::list("_id", Op::Nin, ["a", "b"]),
                Filter::new("date_sent", Op::Lt, "1704164645")
            ]
        );
        assert_eq!(q.filters_on("type").count(), 1);
    }

    #[test]
    fn extensions_and_bare_brackets() {
        let q = Query::parse(pairs(
            "extensions[color]=red&extensions[level][gte]=3&id[]=1&id[]=2&attachments.type=image",
        ))
        .unwrap();
        assert_eq!(
            q.filters,
            [
                Filter::new("extensions[color]", Op::Eq, "red"),
                Filter::new("extensions[level]", Op::Gte, "3"),
                Filter::list("id", Op::In, ["1", "2"]),
                Filter::new("attachments.type", Op::Eq, "image"),
            ]
        );
    }

    #[test]
    fn rejects_unknown_operators_and_malformed_keys() {
        assert_eq!(
            Query::parse([("name[like]", "x")]),
            Err(FilterError::UnknownOp {
                key: "name[like]".into(),
                op: "like".into()
            })
        );
        for key in [
            "",
            "[in]",
            "a[in",
            "a]",
            "a[in]x",
            "a[in][gt]",
            "a[[in]]",
            "extensions",
            "extensions[]",
        ] {
            assert!(
                matches!(Query::parse([(key, "1")]), Err(FilterError::BadKey(_))),
                "{key:?}"
            );
        }
        for (k, v) in [
            ("limit", "x"),
            ("skip", "-1"),
            ("offset", ""),
            ("limit", "99999999999999999999"),
        ] {
            assert!(
                matches!(Query::parse([(k, v)]), Err(FilterError::BadNumber { .. })),
                "{k}={v}"
            );
        }
        assert!(matches!(
            Query::parse([("count", "yes")]),
            Err(FilterError::BadFlag { .. })
        ));
        assert!(matches!(
            Query::parse([("sort_asc", "")]),
            Err(FilterError::BadValue { .. })
        ));
        let q = Query::parse([("type[in]", "2,x")]).unwrap();
        assert!(matches!(
            q.filters[0].values_as::<u8>(),
            Err(FilterError::BadValue { .. })
        ));
    }

    #[test]
    fn operators_round_trip_through_their_names() {
        for op in Op::ALL {
            assert_eq!(op.as_str().parse::<Op>().unwrap(), op);
        }
        assert!("LT".parse::<Op>().is_err());
    }

    #[test]
    fn builders_and_count() {
        let q = Query::new()
            .with_filter(Filter::new("login", Op::StartWith, "alic"))
            .with_sort(Sort::asc("created_at"))
            .with_count(true)
            .with_limit(5)
            .with_skip(10);
        assert_eq!(
            q.to_pairs(ListStyle::Comma),
            pairs("login[start_with]=alic&sort_asc=created_at&count=1&limit=5&skip=10")
        );
        assert_eq!(q.start(), 10);
        assert_eq!(Query::parse(q.to_pairs(ListStyle::Comma)).unwrap(), q);
    }
}
