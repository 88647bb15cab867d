//! Filters and sort keys over the User attribute document (`scim_core::schema::UserAttr::Doc`), compiled to
//! each backend's JSON functions: SQLite `json_extract` / `json_type` / `json_each`, PostgreSQL `jsonb`
//! operators and `jsonb_array_elements` over the text column cast to `jsonb`.
//!
//! Conditions read `users.attributes_norm`: the document with every case-insensitive string folded as
//! `scim_core::eval::fold_case` folds it (case-exact ones as sent), so a comparison is the same on both backends
//! and the same as the in-memory evaluator's. The JSON keys in the SQL come from the schema (static names,
//! never user input); literals are bind parameters. The rules are those of `filter_sql`: two-valued, `ne` is
//! `not eq` (composed there), strings compare by code point (`COLLATE "C"` on PostgreSQL), `co`/`sw`/`ew` are
//! `LIKE` with an escape character; a multi-valued attribute matches when some element does.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Nullable, Text};
use diesel::QueryResult;
use scim_core::filter::CompareOp;
use scim_core::schema::{AttrType, DocAttr};

use crate::pool::MultiBackend;

/// A test on one JSON value (a sub-attribute of an element, or the attribute's own value).
#[derive(Debug, Clone)]
pub enum ValueTest {
    /// Present: not null, and not `""`.
    Present,
    /// A string comparison (`op` is not `ne`); the literal is already folded when the attribute is
    /// case-insensitive, and is a LIKE pattern for `co`/`sw`/`ew`.
    Text(CompareOp, String),
    /// A boolean equal to this.
    Bool(bool),
}

/// A condition on one element (or on the single value) of a document attribute.
#[derive(Debug, Clone)]
pub enum ElementCond {
    And(Box<ElementCond>, Box<ElementCond>),
    Or(Box<ElementCond>, Box<ElementCond>),
    Not(Box<ElementCond>),
    /// A test on the sub-attribute `sub` of the element (`None`: on the element itself).
    Test {
        sub: Option<&'static str>,
        test: ValueTest,
    },
    /// The element exists.
    Exists,
}

/// A condition on the document: `attr`'s value (some element of it, when multi-valued) satisfies `cond`.
#[derive(Debug, Clone)]
pub struct DocCond {
    /// `[container?, attribute]`: the keys from the document's root to the attribute.
    keys: Vec<&'static str>,
    multi: bool,
    cond: ElementCond,
}

impl DocCond {
    pub fn new(d: &DocAttr, cond: ElementCond) -> DocCond {
        DocCond {
            keys: d.container.into_iter().chain([d.attr.name]).collect(),
            multi: d.attr.multi_valued,
            cond,
        }
    }
}

/// Where the values are: the document itself (a single-valued attribute) or the element `e` of an iteration.
#[derive(Clone, Copy)]
enum Base<'a> {
    Root(&'a [&'static str]),
    Element,
}

fn is_pg(out: &AstPass<'_, '_, MultiBackend>) -> bool {
    matches!(out.backend(), MultiBackend::Postgres(_))
}

/// SQLite's JSON path of `keys`, every key quoted: `'$."urn:...:User"."employeeNumber"'`.
fn sqlite_path(keys: &[&str]) -> String {
    let mut p = String::from("'$");
    for k in keys {
        p.push_str(".\"");
        p.push_str(k);
        p.push('"');
    }
    p.push('\'');
    p
}

/// The value of `sub` (or of the attribute itself) below `base`: as text when `as_text`, else as `jsonb` on
/// PostgreSQL and as its JSON type name (`json_type`) on SQLite, which [`push_type_is`] and the boolean test
/// compare.
fn push_value(
    out: &mut AstPass<'_, '_, MultiBackend>,
    base: Base<'_>,
    sub: Option<&str>,
    as_text: bool,
) {
    let keys: Vec<&str> = match base {
        Base::Root(keys) => keys.iter().copied().chain(sub).collect(),
        Base::Element => sub.into_iter().collect(),
    };
    if is_pg(out) {
        let mut s = String::from("(");
        s.push_str(match base {
            Base::Root(_) => "(\"users\".\"attributes_norm\"::jsonb)",
            Base::Element => "e.value",
        });
        for (i, k) in keys.iter().enumerate() {
            let last = i + 1 == keys.len();
            s.push_str(if last && as_text { " ->> '" } else { " -> '" });
            s.push_str(k);
            s.push('\'');
        }
        if keys.is_empty() && as_text {
            // An element that is itself a string: `#>> '{}'` is its text.
            s.push_str(" #>> '{}'");
        }
        s.push(')');
        out.push_sql(&s);
    } else {
        let doc = match base {
            Base::Root(_) => "\"users\".\"attributes_norm\"",
            Base::Element => "e.value",
        };
        let f = if as_text { "json_extract" } else { "json_type" };
        out.push_sql(&format!("{f}({doc}, {})", sqlite_path(&keys)));
    }
}

/// `<the JSON type of the value> = <ty>`, `ty` in PostgreSQL's names (`string`, `boolean`).
fn push_type_is(
    out: &mut AstPass<'_, '_, MultiBackend>,
    base: Base<'_>,
    sub: Option<&str>,
    ty: &str,
) {
    if is_pg(out) {
        out.push_sql("jsonb_typeof(");
        push_value(out, base, sub, false);
        out.push_sql(&format!(") = '{ty}'"));
    } else {
        push_value(out, base, sub, false);
        out.push_sql(if ty == "string" {
            " = 'text'"
        } else {
            " IN ('true', 'false')"
        });
    }
}

fn walk_cond<'b>(
    cond: &'b ElementCond,
    out: &mut AstPass<'_, 'b, MultiBackend>,
    base: Base<'_>,
) -> QueryResult<()> {
    match cond {
        ElementCond::And(a, b) | ElementCond::Or(a, b) => {
            out.push_sql("(");
            walk_cond(a, out, base)?;
            out.push_sql(if matches!(cond, ElementCond::And(..)) {
                " AND "
            } else {
                " OR "
            });
            walk_cond(b, out, base)?;
            out.push_sql(")");
        }
        ElementCond::Not(a) => {
            out.push_sql("(NOT ");
            walk_cond(a, out, base)?;
            out.push_sql(")");
        }
        ElementCond::Exists => out.push_sql("(1 = 1)"),
        ElementCond::Test { sub, test } => {
            let pg = is_pg(out);
            // Two-valued: a missing value makes the JSON functions NULL, and the test false (never NULL, which
            // `NOT` would keep NULL).
            out.push_sql("COALESCE((");
            match test {
                ValueTest::Present => {
                    push_value(out, base, *sub, true);
                    out.push_sql(" IS NOT NULL AND ");
                    push_value(out, base, *sub, true);
                    out.push_sql(" <> ''");
                }
                ValueTest::Bool(b) => {
                    push_type_is(out, base, *sub, "boolean");
                    out.push_sql(" AND ");
                    push_value(out, base, *sub, false);
                    out.push_sql(match (pg, *b) {
                        (true, true) => " = 'true'::jsonb",
                        (true, false) => " = 'false'::jsonb",
                        (false, true) => " = 'true'",
                        (false, false) => " = 'false'",
                    });
                }
                ValueTest::Text(op, v) => {
                    // A string, never a number or boolean that happens to print the same.
                    push_type_is(out, base, *sub, "string");
                    out.push_sql(" AND ");
                    push_value(out, base, *sub, true);
                    if pg {
                        out.push_sql(" COLLATE \"C\"");
                    }
                    out.push_sql(match op {
                        CompareOp::Eq | CompareOp::Ne => " = ",
                        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => " LIKE ",
                        CompareOp::Gt => " > ",
                        CompareOp::Ge => " >= ",
                        CompareOp::Lt => " < ",
                        CompareOp::Le => " <= ",
                    });
                    out.push_bind_param::<Text, String>(v)?;
                    if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                        out.push_sql(" ESCAPE '\\'");
                    }
                }
            }
            out.push_sql("), 1 = 0)");
        }
    }
    Ok(())
}

impl QueryFragment<MultiBackend> for DocCond {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        if !self.multi {
            return walk_cond(&self.cond, &mut out, Base::Root(&self.keys));
        }
        out.push_sql("EXISTS (SELECT 1 FROM ");
        if is_pg(&out) {
            let mut s = String::from("jsonb_array_elements(CASE WHEN jsonb_typeof(");
            let mut path = String::from("(\"users\".\"attributes_norm\"::jsonb)");
            for k in &self.keys {
                path.push_str(" -> '");
                path.push_str(k);
                path.push('\'');
            }
            s.push_str(&path);
            s.push_str(") = 'array' THEN ");
            s.push_str(&path);
            s.push_str(" ELSE '[]'::jsonb END) AS e(value)");
            out.push_sql(&s);
        } else {
            out.push_sql(&format!(
                "json_each(\"users\".\"attributes_norm\", {}) AS e",
                sqlite_path(&self.keys)
            ));
        }
        out.push_sql(" WHERE ");
        walk_cond(&self.cond, &mut out, Base::Element)?;
        out.push_sql(")");
        Ok(())
    }
}

impl Expression for DocCond {
    type SqlType = Bool;
}
impl<QS> AppearsOnTable<QS> for DocCond {}
impl<QS> SelectableExpression<QS> for DocCond {}
impl ValidGrouping<()> for DocCond {
    type IsAggregate = diesel::expression::is_aggregate::No;
}
impl QueryId for DocCond {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// The sort key of a document attribute: its (folded) text; of a multi-valued one, that of the primary (else
/// first) element's `value` or named sub-attribute.
#[derive(Debug, Clone)]
pub struct DocSort {
    keys: Vec<&'static str>,
    multi: bool,
    sub: Option<&'static str>,
}

impl DocSort {
    /// `None` when `d` has no text to sort by (a boolean, a complex attribute without `value`).
    pub fn new(d: &DocAttr) -> Option<DocSort> {
        let leaf = match (d.sub, d.attr.ty) {
            (Some(s), _) => s,
            (None, AttrType::Complex) => d.attr.sub_attribute("value")?,
            (None, _) => d.attr,
        };
        if !matches!(
            leaf.ty,
            AttrType::String | AttrType::Reference | AttrType::Binary
        ) {
            return None;
        }
        let sub = (d.attr.ty == AttrType::Complex).then_some(leaf.name);
        Some(DocSort {
            keys: d.container.into_iter().chain([d.attr.name]).collect(),
            multi: d.attr.multi_valued,
            sub,
        })
    }
}

impl QueryFragment<MultiBackend> for DocSort {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        let pg = is_pg(&out);
        if !self.multi {
            push_value(&mut out, Base::Root(&self.keys), self.sub, true);
            if pg {
                out.push_sql(" COLLATE \"C\"");
            }
            return Ok(());
        }
        out.push_sql("(SELECT ");
        push_value(&mut out, Base::Element, self.sub, true);
        if pg {
            out.push_sql(" COLLATE \"C\"");
            let mut path = String::from("(\"users\".\"attributes_norm\"::jsonb)");
            for k in &self.keys {
                path.push_str(" -> '");
                path.push_str(k);
                path.push('\'');
            }
            out.push_sql(&format!(
                " FROM jsonb_array_elements(CASE WHEN jsonb_typeof({path}) = 'array' THEN {path} \
                 ELSE '[]'::jsonb END) WITH ORDINALITY AS e(value, n) \
                 ORDER BY (e.value -> 'primary') = 'true'::jsonb DESC NULLS LAST, e.n LIMIT 1)"
            ));
        } else {
            out.push_sql(&format!(
                " FROM json_each(\"users\".\"attributes_norm\", {}) AS e \
                 ORDER BY json_type(e.value, '$.\"primary\"') = 'true' DESC, e.key LIMIT 1)",
                sqlite_path(&self.keys)
            ));
        }
        Ok(())
    }
}

impl Expression for DocSort {
    type SqlType = Nullable<Text>;
}
impl<QS> AppearsOnTable<QS> for DocSort {}
impl<QS> SelectableExpression<QS> for DocSort {}
impl ValidGrouping<()> for DocSort {
    type IsAggregate = diesel::expression::is_aggregate::No;
}
impl QueryId for DocSort {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}
