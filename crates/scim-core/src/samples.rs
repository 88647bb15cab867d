//! Users built from the schema table itself, for tests in every crate: whatever attribute the schema gains,
//! these samples carry it, so a round-trip test over them cannot miss it.

use serde_json::{Map, Value};

use crate::schema::{user_document_attributes, AttrType, AttributeDef, USER_RESOURCE};

/// A leaf value of `def` taken from the sources: a word for strings (references, binaries), a flag for
/// booleans.
fn leaf(
    def: &AttributeDef,
    words: &mut dyn Iterator<Item = String>,
    flags: &mut dyn Iterator<Item = bool>,
) -> Option<Value> {
    Some(match def.ty {
        AttrType::Boolean => Value::Bool(flags.next()?),
        AttrType::Integer | AttrType::Decimal => Value::from(words.next()?.len()),
        AttrType::DateTime => Value::from("2026-12-01T10:00:00Z"),
        AttrType::String | AttrType::Reference | AttrType::Binary => Value::from(words.next()?),
        AttrType::Complex => return None,
    })
}

/// A User attribute document ([`crate::resource::User::attributes`]) with some of every document attribute:
/// `flags` decides which attributes and sub-attributes are present (every element has its `value`), `words`
/// supplies the strings (each must be non-empty). Stops adding attributes when a source runs dry.
pub fn user_document(
    words: &mut dyn Iterator<Item = String>,
    flags: &mut dyn Iterator<Item = bool>,
) -> Map<String, Value> {
    let mut doc = Map::new();
    for d in user_document_attributes() {
        if !flags.next().unwrap_or(false) {
            continue;
        }
        let def = d.attr;
        let value = if def.ty == AttrType::Complex {
            let count = if def.multi_valued {
                1 + usize::from(flags.next().unwrap_or(false))
            } else {
                1
            };
            let mut elements = Vec::new();
            for _ in 0..count {
                let mut e = Map::new();
                for sub in def.sub_attributes {
                    if sub.name == "value" || flags.next().unwrap_or(false) {
                        if let Some(v) = leaf(sub, words, flags) {
                            e.insert(sub.name.to_string(), v);
                        }
                    }
                }
                if e.contains_key("value") {
                    elements.push(Value::Object(e));
                }
            }
            if elements.is_empty() {
                continue;
            }
            if def.multi_valued {
                Value::Array(elements)
            } else {
                elements.swap_remove(0)
            }
        } else {
            match leaf(def, words, flags) {
                Some(v) => v,
                None => continue,
            }
        };
        match d.container {
            Some(urn) => {
                if let Some(o) = doc
                    .entry(urn)
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                {
                    o.insert(def.name.to_string(), value);
                }
            }
            None => {
                doc.insert(def.name.to_string(), value);
            }
        }
    }
    let mut name = Map::new();
    for sub in USER_RESOURCE
        .schema
        .attribute("name")
        .map_or(&[][..], |n| n.sub_attributes)
    {
        if !crate::resource::NAME_COLUMNS.contains(&sub.name) && flags.next().unwrap_or(false) {
            if let Some(v) = leaf(sub, words, flags) {
                name.insert(sub.name.to_string(), v);
            }
        }
    }
    if !name.is_empty() {
        doc.insert("name".into(), Value::Object(name));
    }
    doc
}
