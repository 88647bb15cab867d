//! Query parameters of list requests (RFC 7644 §3.4.2: `GET /Users?filter=..&startIndex=..`), the
//! `POST .search` body (§3.4.3), and the ListResponse (§3.4.2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::Filter;
use crate::json::get_ci_or_null;
use crate::path::AttrPath;
use crate::projection::Projection;
use crate::schema::{LIST_RESPONSE_SCHEMA, SEARCH_REQUEST_SCHEMA};

/// `sortOrder`: `ascending` (the default) or `descending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

/// The raw query parameters of `GET /Users`, `GET /Groups`, as sent. Unknown parameters are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
    /// RFC 9865: `cursor` (empty: the first page).
    pub cursor: Option<String>,
}

/// A validated list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub sort_order: SortOrder,
    /// 1-based index of the first result; at least 1.
    pub start_index: u64,
    /// The page size: at most the server's maximum; 0 asks only for `totalResults`.
    pub count: u64,
    pub projection: Projection,
    /// RFC 9865 cursor pagination: the `cursor` as sent (`""` for the first page); `None` for index pagination.
    /// Read it with [`crate::cursor::Position::decode`] and [`ListQuery::cursor_scope`].
    pub cursor: Option<String>,
}

/// An integer parameter: values below `i64::MIN` / above `i64::MAX` saturate; anything else that is not an
/// integer is `400 invalidValue`.
fn parse_int(raw: &str, param: &str) -> Result<i64, ScimError> {
    let s = raw.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(if s.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        });
    }
    Err(ScimError::invalid_value(format!(
        "{param} must be an integer, got \"{raw}\""
    )))
}

fn parse_filter(raw: &str) -> Result<Option<Filter>, ScimError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.parse::<Filter>().map(Some)
}

fn parse_sort_by(raw: &str) -> Result<Option<AttrPath>, ScimError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.trim()
        .parse::<AttrPath>()
        .map(Some)
        .map_err(|e| ScimError::invalid_value(format!("sortBy: {}", e.detail)))
}

fn parse_sort_order(raw: &str) -> Result<SortOrder, ScimError> {
    match raw.trim() {
        "" => Ok(SortOrder::Ascending),
        s if s.eq_ignore_ascii_case("ascending") => Ok(SortOrder::Ascending),
        s if s.eq_ignore_ascii_case("descending") => Ok(SortOrder::Descending),
        _ => Err(ScimError::invalid_value(format!(
            "sortOrder must be \"ascending\" or \"descending\", got \"{raw}\""
        ))),
    }
}

/// `startIndex` below 1 is 1 (RFC 7644 §3.4.2.4).
fn clamp_start_index(n: Option<i64>) -> u64 {
    n.map_or(1, |n| n.max(1).unsigned_abs())
}

/// `count` below 0 is 0; above `max_count` (or absent) is `max_count`.
fn clamp_count(n: Option<i64>, max_count: u64) -> u64 {
    n.map_or(max_count, |n| n.max(0).unsigned_abs().min(max_count))
}

impl ListQuery {
    /// Reads the query parameters of a list request. `startIndex` < 1 becomes 1; `count` < 0 becomes 0 and
    /// is at most `max_count` (which is also the default). Errors: `400 invalidFilter` for a bad filter,
    /// `400 invalidValue` for a non-numeric `startIndex`/`count`, a bad `sortOrder`, `sortBy` or attribute
    /// list.
    pub fn from_params(params: &ListParams, max_count: u64) -> Result<ListQuery, ScimError> {
        let int = |v: &Option<String>, name: &str| {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| parse_int(s, name))
                .transpose()
        };
        let has_start = params
            .start_index
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        if params.cursor.is_some() && has_start {
            return Err(ScimError::invalid_value(
                "cursor and startIndex cannot be used together: a list is paged by one or the other",
            ));
        }
        Ok(ListQuery {
            cursor: params.cursor.clone(),
            filter: params
                .filter
                .as_deref()
                .map(parse_filter)
                .transpose()?
                .flatten(),
            sort_by: params
                .sort_by
                .as_deref()
                .map(parse_sort_by)
                .transpose()?
                .flatten(),
            sort_order: parse_sort_order(params.sort_order.as_deref().unwrap_or(""))?,
            start_index: clamp_start_index(int(&params.start_index, "startIndex")?),
            count: clamp_count(int(&params.count, "count")?, max_count),
            projection: Projection::parse(
                params.attributes.as_deref(),
                params.excluded_attributes.as_deref(),
            )?,
        })
    }

    /// Reads a `POST .search` body (RFC 7644 §3.4.3): `schemas` must contain the SearchRequest URN;
    /// `filter`, `sortBy`, `sortOrder` are strings, `startIndex`, `count` integers (numeric strings are
    /// accepted), `attributes`, `excludedAttributes` arrays of strings (a comma-separated string is
    /// accepted). Member names compare ignoring ASCII case; unknown members are ignored. The same clamping
    /// and errors as [`ListQuery::from_params`]; a body that is not a SearchRequest is
    /// `400 invalidSyntax`.
    pub fn from_search_request(body: &Value, max_count: u64) -> Result<ListQuery, ScimError> {
        let Some(obj) = body.as_object() else {
            return Err(ScimError::invalid_syntax(
                "a SearchRequest must be a JSON object",
            ));
        };
        let is_search = match get_ci_or_null(obj, "schemas") {
            Value::Array(s) => s.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA))
            }),
            _ => false,
        };
        if !is_search {
            return Err(ScimError::invalid_syntax(format!(
                "a SearchRequest's \"schemas\" must contain \"{SEARCH_REQUEST_SCHEMA}\""
            )));
        }
        let params = ListParams {
            filter: string_field(obj, "filter")?,
            sort_by: string_field(obj, "sortBy")?,
            sort_order: string_field(obj, "sortOrder")?,
            start_index: int_field(obj, "startIndex")?,
            count: int_field(obj, "count")?,
            attributes: list_field(obj, "attributes")?,
            excluded_attributes: list_field(obj, "excludedAttributes")?,
            cursor: string_field(obj, "cursor")?,
        };
        Self::from_params(&params, max_count)
    }

    /// What a cursor of this query is bound to: the resource type and the query's filter, `sortBy` and
    /// `sortOrder` (a cursor sent with another query is `invalidCursor`).
    pub fn cursor_scope(&self, resource: &str) -> String {
        let show = |v: Option<String>| v.unwrap_or_default();
        format!(
            "{resource}\u{1f}{}\u{1f}{}\u{1f}{:?}",
            show(self.filter.as_ref().map(ToString::to_string)),
            show(self.sort_by.as_ref().map(ToString::to_string)),
            self.sort_order
        )
    }
}

fn string_field(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    match get_ci_or_null(obj, name) {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(ScimError::invalid_value(format!("{name} must be a string"))),
    }
}

fn int_field(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    match get_ci_or_null(obj, name) {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        _ => Err(ScimError::invalid_value(format!(
            "{name} must be an integer"
        ))),
    }
}

fn list_field(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    let bad = || ScimError::invalid_value(format!("{name} must be an array of attribute names"));
    match get_ci_or_null(obj, name) {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()
            .map(|names| Some(names.join(","))),
        _ => Err(bad()),
    }
}

/// A ListResponse (RFC 7644 §3.4.2): `totalResults` (all matches), `startIndex`, `itemsPerPage` (the
/// number of `Resources` in this page) and `Resources`, which is present (`[]`) even when empty: Entra's
/// connection test reads it. A page of cursor pagination (RFC 9865, [`ListResponse::cursor_page`]) has
/// `nextCursor` / `previousCursor` instead of `startIndex`, and no `totalResults` (counting every match would
/// make each page cost as much as the whole list). Serialisable over any resource type (e.g. [`crate::resource::UserJson`], written
/// without a `Value` tree); fields in sorted key order, as a `serde_json::Map` keeps them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListResponse<R> {
    #[serde(rename = "Resources")]
    resources: Vec<R>,
    #[serde(rename = "itemsPerPage")]
    items_per_page: usize,
    #[serde(rename = "nextCursor", skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    #[serde(rename = "previousCursor", skip_serializing_if = "Option::is_none")]
    previous_cursor: Option<String>,
    schemas: [&'static str; 1],
    #[serde(rename = "startIndex", skip_serializing_if = "Option::is_none")]
    start_index: Option<u64>,
    #[serde(rename = "totalResults", skip_serializing_if = "Option::is_none")]
    total_results: Option<u64>,
}

impl<R> ListResponse<R> {
    pub fn new(total: u64, start_index: u64, resources: Vec<R>) -> ListResponse<R> {
        ListResponse {
            items_per_page: resources.len(),
            resources,
            next_cursor: None,
            previous_cursor: None,
            schemas: [LIST_RESPONSE_SCHEMA],
            start_index: Some(start_index),
            total_results: Some(total),
        }
    }

    /// A page of cursor pagination (RFC 9865): `nextCursor` when more follow, `previousCursor` when some
    /// precede.
    pub fn cursor_page(
        resources: Vec<R>,
        next: Option<String>,
        previous: Option<String>,
    ) -> ListResponse<R> {
        ListResponse {
            items_per_page: resources.len(),
            resources,
            next_cursor: next,
            previous_cursor: previous,
            schemas: [LIST_RESPONSE_SCHEMA],
            start_index: None,
            total_results: None,
        }
    }
}

/// [`ListResponse`] as a `Value`.
pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    // Cannot fail: string keys only (`Null` would be the unreachable fallback).
    serde_json::to_value(ListResponse::new(total, start_index, resources)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{GROUP_RESOURCE, USER_RESOURCE};
    use serde_json::json;

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        let mut p = ListParams::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "filter" => p.filter = v,
                "sortBy" => p.sort_by = v,
                "sortOrder" => p.sort_order = v,
                "startIndex" => p.start_index = v,
                "count" => p.count = v,
                "attributes" => p.attributes = v,
                "excludedAttributes" => p.excluded_attributes = v,
                "cursor" => p.cursor = v,
                other => unreachable!("{other}"),
            }
        }
        p
    }

    fn query(pairs: &[(&str, &str)]) -> Result<ListQuery, ScimError> {
        ListQuery::from_params(&params(pairs), 100)
    }

    #[test]
    fn defaults() {
        let q = query(&[]).unwrap();
        assert_eq!(
            q,
            ListQuery {
                filter: None,
                sort_by: None,
                sort_order: SortOrder::Ascending,
                start_index: 1,
                count: 100,
                projection: Projection::default(),
                cursor: None,
            }
        );
        // Empty values are absent.
        assert_eq!(
            query(&[
                ("filter", " "),
                ("startIndex", ""),
                ("count", ""),
                ("sortOrder", "")
            ])
            .unwrap(),
            q
        );
    }

    #[test]
    fn start_index_and_count_are_clamped() {
        let q = |s: &str, c: &str| {
            let q = query(&[("startIndex", s), ("count", c)]).unwrap();
            (q.start_index, q.count)
        };
        assert_eq!(q("0", "-5"), (1, 0));
        assert_eq!(q("-3", "0"), (1, 0));
        assert_eq!(q("7", "1000"), (7, 100));
        assert_eq!(q("7", "100"), (7, 100));
        assert_eq!(q(" 2 ", "+10"), (2, 10));
        assert_eq!(
            q("99999999999999999999999", "99999999999999999999999"),
            (i64::MAX as u64, 100)
        );
        assert_eq!(
            q("-99999999999999999999999", "-99999999999999999999999"),
            (1, 0)
        );
    }

    #[test]
    fn non_numeric_paging_is_invalid_value() {
        for (k, v) in [
            ("startIndex", "one"),
            ("count", "1.5"),
            ("count", "10abc"),
            ("startIndex", "-"),
        ] {
            let e = query(&[(k, v)]).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(crate::ScimType::InvalidValue)),
                "{k}={v}"
            );
            assert!(e.detail.contains(k), "{}", e.detail);
        }
    }

    #[test]
    fn cursor_is_kept_and_excludes_start_index() {
        assert_eq!(
            query(&[("cursor", "")]).unwrap().cursor.as_deref(),
            Some("")
        );
        assert_eq!(
            query(&[("cursor", "abc"), ("startIndex", "")])
                .unwrap()
                .cursor
                .as_deref(),
            Some("abc")
        );
        let e = query(&[("cursor", ""), ("startIndex", "1")]).unwrap_err();
        assert_eq!(e.scim_type, Some(crate::ScimType::InvalidValue));
        let r = serde_json::to_value(ListResponse::cursor_page(
            vec![json!({"id": "a"})],
            Some("n".into()),
            None,
        ))
        .unwrap();
        assert_eq!(
            r,
            json!({"schemas": [LIST_RESPONSE_SCHEMA], "itemsPerPage": 1, "nextCursor": "n",
                   "Resources": [{"id": "a"}]})
        );
        let a = query(&[("filter", "active eq true")]).unwrap();
        let b = query(&[("filter", "active eq false")]).unwrap();
        assert_ne!(a.cursor_scope("Users"), b.cursor_scope("Users"));
        assert_ne!(a.cursor_scope("Users"), a.cursor_scope("Groups"));
    }

    #[test]
    fn sort_order() {
        assert_eq!(
            query(&[("sortOrder", "Descending")]).unwrap().sort_order,
            SortOrder::Descending
        );
        assert_eq!(
            query(&[("sortOrder", "ascending")]).unwrap().sort_order,
            SortOrder::Ascending
        );
        let e = query(&[("sortOrder", "up")]).unwrap_err();
        assert_eq!(e.scim_type, Some(crate::ScimType::InvalidValue));
    }

    #[test]
    fn projection_is_parsed() {
        let q = query(&[("excludedAttributes", "members")]).unwrap();
        assert!(!q.projection.includes(&GROUP_RESOURCE, "members"));
        let q = query(&[("attributes", "userName")]).unwrap();
        assert!(!q.projection.includes(&USER_RESOURCE, "emails"));
        assert!(query(&[("attributes", "bad name")]).is_err());
    }

    #[test]
    fn list_response_shape() {
        assert_eq!(
            list_response(0, 1, vec![]),
            json!({"schemas": [LIST_RESPONSE_SCHEMA], "totalResults": 0, "itemsPerPage": 0,
                   "startIndex": 1, "Resources": []})
        );
        let r = list_response(12, 11, vec![json!({"id": "a"}), json!({"id": "b"})]);
        assert_eq!(r["totalResults"], 12);
        assert_eq!(r["itemsPerPage"], 2);
        assert_eq!(r["startIndex"], 11);
        assert_eq!(r["Resources"], json!([{"id": "a"}, {"id": "b"}]));
    }

    #[test]
    fn list_params_deserialize_from_a_query_string() {
        let p: ListParams = serde_json::from_value(json!({
            "filter": "userName eq \"a\"", "startIndex": "3", "count": "5", "sortBy": "userName",
            "sortOrder": "descending", "attributes": "userName", "excludedAttributes": "emails",
            "unknown": "ignored"
        }))
        .unwrap();
        assert_eq!(p.start_index.as_deref(), Some("3"));
        assert_eq!(p.excluded_attributes.as_deref(), Some("emails"));
    }

    #[test]
    fn search_request() {
        let q = ListQuery::from_search_request(
            &json!({
                "schemas": [SEARCH_REQUEST_SCHEMA],
                "attributes": ["displayName", "userName"],
                "excludedAttributes": ["emails"],
                "startIndex": 0,
                "count": 500,
                "sortOrder": "descending",
            }),
            100,
        )
        .unwrap();
        assert_eq!(
            (q.start_index, q.count, q.sort_order),
            (1, 100, SortOrder::Descending)
        );
        assert_eq!(
            q.projection,
            Projection::parse(Some("displayName,userName"), Some("emails")).unwrap()
        );
        // Member names in any case; numbers as strings; comma-separated attributes.
        let q = ListQuery::from_search_request(
            &json!({"Schemas": ["urn:ietf:params:scim:api:messages:2.0:searchrequest"],
                    "StartIndex": "4", "COUNT": -1, "Attributes": "userName"}),
            100,
        )
        .unwrap();
        assert_eq!((q.start_index, q.count), (4, 0));
        assert_eq!(
            q.projection,
            Projection::parse(Some("userName"), None).unwrap()
        );
    }

    #[test]
    fn search_request_errors() {
        for body in [
            json!({}),
            json!({"schemas": ["urn:other"]}),
            json!([1]),
            json!({"schemas": "x"}),
        ] {
            let e = ListQuery::from_search_request(&body, 10).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(crate::ScimType::InvalidSyntax)),
                "{body}"
            );
        }
        let s = json!([SEARCH_REQUEST_SCHEMA]);
        for (body, name) in [
            (json!({"schemas": s, "count": 1.5}), "count"),
            (json!({"schemas": s, "startIndex": true}), "startIndex"),
            (json!({"schemas": s, "filter": 3}), "filter"),
            (json!({"schemas": s, "attributes": [1]}), "attributes"),
            (
                json!({"schemas": s, "excludedAttributes": {"a": 1}}),
                "excludedAttributes",
            ),
        ] {
            let e = ListQuery::from_search_request(&body, 10).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(crate::ScimType::InvalidValue)),
                "{body}"
            );
            assert!(e.detail.contains(name), "{}", e.detail);
        }
    }

    // Needs the filter grammar (filter.rs, path.rs).
    #[test]
    fn filter_and_sort_by_are_parsed() {
        let q = query(&[
            ("filter", "userName eq \"alice@contoso.com\""),
            ("sortBy", "name.familyName"),
        ])
        .unwrap();
        assert_eq!(
            q.filter,
            Some(
                "userName eq \"alice@contoso.com\""
                    .parse::<Filter>()
                    .unwrap()
            )
        );
        assert_eq!(q.sort_by, Some(AttrPath::with_sub("name", "familyName")));
        let e = query(&[("filter", "userName eq")]).unwrap_err();
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(crate::ScimType::InvalidFilter))
        );
        let e = query(&[("sortBy", "emails[type eq \"work\"]")]).unwrap_err();
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(crate::ScimType::InvalidValue))
        );
        assert!(e.detail.starts_with("sortBy"), "{}", e.detail);
        let q = ListQuery::from_search_request(
            &json!({"schemas": [SEARCH_REQUEST_SCHEMA], "filter": "displayName eq \"Sales\""}),
            10,
        )
        .unwrap();
        assert!(q.filter.is_some());
    }
}
