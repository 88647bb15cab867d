//! Differential test: for a generated population and a few hundred generated filters, the SQL the store runs
//! returns exactly the users for which scim-core's in-memory evaluator says "match" — on both backends.

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, SecondsFormat};
use humbol_store::{Backend, Query};
use rstest::rstest;
use scim_core::filter::{CompValue, CompareOp, Expr, Filter, ValueFilter};
use scim_core::path::AttrPath;
use scim_core::resource::{Address, Email, Name, Stored, User};
use scim_core::schema::{
    user_document_attributes, AttrType, AttributeDef, ENTERPRISE_USER_SCHEMA, USER_RESOURCE,
};

use crate::{fx, ACTOR};

const USERS: usize = 60;
const FILTERS: usize = 400;
const LOCATION: &str = "https://humbol.example/scim/v2/orgs/acme/Users/x";

/// xorshift64*: a tiny seeded generator, so every run tests the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn maybe(&mut self, items: &[&str]) -> Option<String> {
        if self.chance(25) {
            None
        } else {
            Some(self.pick(items).to_string())
        }
    }
}

const FIRST: &[&str] = &[
    "Alice", "bob", "Carol", "DAVE", "Ève", "frank", "Grace", "heidi",
];
const LAST: &[&str] = &[
    "Smith",
    "jones",
    "O'Brien",
    "Müller",
    "de la Cruz",
    "NG",
    "100%",
    "under_score",
];
const TITLES: &[&str] = &[
    "Engineer",
    "engineer",
    "Senior Engineer",
    "Sales Rep",
    "",
    "VP, R&D",
    "Zed",
];
const LANGS: &[&str] = &["en-US", "en-GB", "fr", "de-CH", "EN-us"];
const DEPTS: &[&str] = &["R&D", "r&d", "Sales", "Support", "", "Ops_1", "ops%2"];
const KINDS: &[&str] = &["work", "home", "other", "Work", "HOME", ""];
const CITIES: &[&str] = &["Oxford", "oxford", "Zürich", "Paris", "", "New York"];
const REGIONS: &[&str] = &["Oxon", "ZH", "IdF", "NY", ""];
const COUNTRIES: &[&str] = &["GB", "gb", "CH", "FR", "US"];
const ROLES: &[&str] = &["Admin", "Member", "admin", "Viewer", ""];
const DOMAINS: &[&str] = &["contoso.com", "Contoso.COM", "example.org", "x_y.net"];
/// The groups' display names (each unique ignoring case, as the store requires).
const GROUPS: &[&str] = &[
    "Sales",
    "sales-EMEA",
    "R&D",
    "100% Club",
    "under_score",
    "Zürich Ops",
];

fn gen_user(rng: &mut Rng, i: usize, earlier: &[String]) -> User {
    let first = *rng.pick(FIRST);
    let last = *rng.pick(LAST);
    let domain = *rng.pick(DOMAINS);
    let emails = (0..rng.below(4))
        .map(|j| Email {
            value: if rng.chance(10) {
                String::new()
            } else {
                format!("{}.{}{j}@{}", first.to_lowercase(), i, rng.pick(DOMAINS))
            },
            kind: rng.maybe(KINDS),
            primary: j == 0 && rng.chance(60),
        })
        .collect();
    let addresses = (0..rng.below(3))
        .map(|_| Address {
            kind: rng.maybe(KINDS),
            locality: rng.maybe(CITIES),
            region: rng.maybe(REGIONS),
            country: rng.maybe(COUNTRIES),
            primary: rng.chance(40),
            formatted: rng.maybe(CITIES),
            street_address: rng.maybe(TITLES),
            postal_code: rng.maybe(REGIONS),
        })
        .collect();
    // The attribute document from the schema table, its strings drawn from the same small vocabularies (in
    // several cases) so that comparisons find matches.
    let words: Vec<String> = (0..96)
        .map(|_| {
            let list = *rng.pick(&[TITLES, CITIES, DEPTS, KINDS, LAST]);
            let w = rng.pick(list).to_string();
            if w.is_empty() {
                "x".into()
            } else {
                w
            }
        })
        .collect();
    let flags: Vec<bool> = (0..192).map(|_| rng.chance(50)).collect();
    let attributes =
        scim_core::samples::user_document(&mut words.into_iter(), &mut flags.into_iter());
    User {
        user_name: format!("{first}.{last}{i}@{domain}"),
        external_id: if rng.chance(30) {
            None
        } else {
            Some(format!("{}-{i}", rng.pick(&["ext", "EXT", "Ext"])))
        },
        display_name: rng.maybe(&[
            &format!("{first} {last}"),
            &format!("{first} {last}").to_uppercase(),
            "",
        ]),
        active: rng.chance(70),
        title: rng.maybe(TITLES),
        preferred_language: rng.maybe(LANGS),
        name: Name {
            formatted: rng.maybe(&[&format!("{first} {last}"), ""]),
            family_name: rng.maybe(&[last]),
            given_name: rng.maybe(&[first, &first.to_uppercase()]),
        },
        emails,
        addresses,
        role: rng.maybe(ROLES),
        role_primary: *rng.pick(&[None, Some(true), Some(false)]),
        department: rng.maybe(DEPTS),
        attributes,
        // Read-only: derived from the groups made below.
        groups: Vec::new(),
        manager: if !earlier.is_empty() && rng.chance(50) {
            Some(rng.pick(earlier).clone())
        } else if rng.chance(10) {
            Some(String::new())
        } else {
            None
        },
    }
}

/// Attribute kinds the filter generator knows.
#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Text,
    Bool,
    Time,
    Complex,
}

/// (path, type) of every User attribute Humbol stores, with some spelled in other cases or URN-qualified.
fn attributes() -> Vec<(AttrPath, Ty)> {
    let p = |s: &str| -> AttrPath { s.parse().unwrap() };
    let ent = |n: &str| format!("{ENTERPRISE_USER_SCHEMA}:{n}");
    vec![
        (p("id"), Ty::Text),
        (p("externalId"), Ty::Text),
        (p("userName"), Ty::Text),
        (p("USERNAME"), Ty::Text),
        (p("displayName"), Ty::Text),
        (p("title"), Ty::Text),
        (p("preferredLanguage"), Ty::Text),
        (p("name.formatted"), Ty::Text),
        (p("name.givenName"), Ty::Text),
        (p("name.familyName"), Ty::Text),
        (p("name"), Ty::Complex),
        (p("active"), Ty::Bool),
        (p("emails"), Ty::Text),
        (p("emails.value"), Ty::Text),
        (p("emails.type"), Ty::Text),
        (p("emails.primary"), Ty::Bool),
        (p("addresses"), Ty::Complex),
        (p("addresses.type"), Ty::Text),
        (p("addresses.locality"), Ty::Text),
        (p("addresses.region"), Ty::Text),
        (p("addresses.country"), Ty::Text),
        (p("addresses.primary"), Ty::Bool),
        (p("roles"), Ty::Text),
        (p("roles.value"), Ty::Text),
        (p("roles.primary"), Ty::Bool),
        (p("department"), Ty::Text),
        (p(&ent("department")), Ty::Text),
        (p("manager"), Ty::Text),
        (p("manager.value"), Ty::Text),
        (p(&ent("manager.value")), Ty::Text),
        (p("meta.created"), Ty::Time),
        (p("meta.lastModified"), Ty::Time),
        (p("meta"), Ty::Complex),
        (p("meta.resourceType"), Ty::Text),
        (p("addresses.formatted"), Ty::Text),
        (p("addresses.streetAddress"), Ty::Text),
        (p("addresses.postalCode"), Ty::Text),
        (p("groups"), Ty::Text),
        (p("groups.value"), Ty::Text),
        (p("groups.display"), Ty::Text),
        (p("GROUPS.Display"), Ty::Text),
        (p("groups.type"), Ty::Text),
    ]
    .into_iter()
    .chain(document_attributes())
    .collect()
}

/// The filter type of an attribute definition.
fn ty_of(def: &AttributeDef) -> Ty {
    match def.ty {
        AttrType::Boolean => Ty::Bool,
        AttrType::DateTime => Ty::Time,
        AttrType::Complex if def.sub_attribute("value").is_none() => Ty::Complex,
        _ => Ty::Text,
    }
}

/// Every attribute of the document and each of its sub-attributes, walked from the schema table (URN-qualified
/// for the extension's), and `name`'s parts kept in the document.
fn document_attributes() -> Vec<(AttrPath, Ty)> {
    let mut out = Vec::new();
    for d in user_document_attributes() {
        let name = match d.container {
            Some(urn) => format!("{urn}:{}", d.attr.name),
            None => d.attr.name.to_string(),
        };
        out.push((name.parse().unwrap(), ty_of(d.attr)));
        for sub in d.attr.sub_attributes {
            out.push((format!("{name}.{}", sub.name).parse().unwrap(), ty_of(sub)));
        }
    }
    for sub in ["middleName", "honorificPrefix", "honorificSuffix"] {
        out.push((format!("name.{sub}").parse().unwrap(), Ty::Text));
    }
    out
}

/// The complex attributes of the document (for value filters).
fn document_complex() -> Vec<&'static str> {
    user_document_attributes()
        .filter(|d| d.attr.ty == AttrType::Complex && d.container.is_none())
        .map(|d| d.attr.name)
        .collect()
}

/// Sub-attributes usable inside `attr[...]`.
fn element_attributes(attr: &str) -> Vec<(&'static str, Ty)> {
    match attr {
        "emails" => vec![
            ("value", Ty::Text),
            ("type", Ty::Text),
            ("primary", Ty::Bool),
        ],
        "addresses" => vec![
            ("type", Ty::Text),
            ("locality", Ty::Text),
            ("region", Ty::Text),
            ("country", Ty::Text),
            ("primary", Ty::Bool),
            ("formatted", Ty::Text),
            ("streetAddress", Ty::Text),
            ("postalCode", Ty::Text),
        ],
        "roles" => vec![("value", Ty::Text), ("primary", Ty::Bool)],
        "name" => vec![
            ("givenName", Ty::Text),
            ("familyName", Ty::Text),
            ("formatted", Ty::Text),
            ("middleName", Ty::Text),
        ],
        "manager" => vec![("value", Ty::Text)],
        "groups" => vec![
            ("value", Ty::Text),
            ("display", Ty::Text),
            ("type", Ty::Text),
        ],
        other => match USER_RESOURCE.schema.attribute(other) {
            Some(def) => def
                .sub_attributes
                .iter()
                .map(|s| (s.name, ty_of(s)))
                .collect(),
            None => vec![("value", Ty::Text)],
        },
    }
}

struct Gen<'a> {
    rng: Rng,
    /// Strings that occur in the population (values of every attribute), to compare with.
    words: Vec<String>,
    times: &'a [chrono::DateTime<chrono::Utc>],
}

impl Gen<'_> {
    fn op(&mut self) -> CompareOp {
        *self.rng.pick(&[
            CompareOp::Eq,
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Co,
            CompareOp::Sw,
            CompareOp::Ew,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ])
    }

    fn text(&mut self, op: CompareOp) -> CompValue {
        if self.rng.chance(4) {
            return CompValue::Null;
        }
        if self.rng.chance(4) {
            return CompValue::Bool(true);
        }
        let w = self.rng.pick(&self.words).clone();
        let mut s = match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew if w.chars().count() > 2 => {
                let chars: Vec<char> = w.chars().collect();
                let a = self.rng.below(chars.len() - 1);
                let b = a + 1 + self.rng.below(chars.len() - a - 1).min(4);
                match op {
                    CompareOp::Sw => chars[..b].iter().collect(),
                    CompareOp::Ew => chars[a..].iter().collect(),
                    _ => chars[a..b].iter().collect(),
                }
            }
            _ => w,
        };
        match self.rng.below(4) {
            0 => s = s.to_uppercase(),
            1 => s = s.to_lowercase(),
            _ => {}
        }
        if self.rng.chance(5) {
            s = self.rng.pick(&["%", "_", "\\", "", "zzz"]).to_string();
        }
        CompValue::String(s)
    }

    fn boolean(&mut self) -> CompValue {
        match self.rng.below(6) {
            0 => CompValue::String("True".into()),
            1 => CompValue::String("false".into()),
            2 => CompValue::String("yes".into()),
            3 => CompValue::Null,
            4 => CompValue::Bool(false),
            _ => CompValue::Bool(true),
        }
    }

    fn time(&mut self) -> CompValue {
        let t = *self.rng.pick(self.times) + Duration::microseconds(self.rng.below(3) as i64 - 1);
        CompValue::String(match self.rng.below(5) {
            0 => t.to_rfc3339_opts(SecondsFormat::Secs, true),
            1 => (t + Duration::nanoseconds(500)).to_rfc3339_opts(SecondsFormat::Nanos, true),
            2 => t
                .with_timezone(&chrono::FixedOffset::east_opt(7200).unwrap())
                .to_rfc3339_opts(SecondsFormat::Micros, false),
            3 if self.rng.chance(30) => "yesterday".into(),
            _ => t.to_rfc3339_opts(SecondsFormat::Micros, true),
        })
    }

    /// A comparison or presence test, in a [`Filter`] or a [`ValueFilter`].
    fn leaf<V>(&mut self, path: AttrPath, ty: Ty) -> Expr<V> {
        if self.rng.chance(15) {
            return Expr::Present(path);
        }
        let op = self.op();
        let value = match ty {
            Ty::Text | Ty::Complex => self.text(op),
            Ty::Bool => self.boolean(),
            Ty::Time => self.time(),
        };
        Expr::Compare { path, op, value }
    }

    fn filter(&mut self, depth: usize) -> Filter {
        let roll = if depth >= 3 { 0 } else { self.rng.below(10) };
        match roll {
            0..=4 => {
                let attrs = attributes();
                let (path, ty) = self.rng.pick(&attrs).clone();
                self.leaf(path, ty)
            }
            5 => Filter::And(
                Box::new(self.filter(depth + 1)),
                Box::new(self.filter(depth + 1)),
            ),
            6 => Filter::Or(
                Box::new(self.filter(depth + 1)),
                Box::new(self.filter(depth + 1)),
            ),
            7 => Filter::Not(Box::new(self.filter(depth + 1))),
            _ => {
                let mut attrs = vec![
                    "emails",
                    "emails",
                    "addresses",
                    "roles",
                    "name",
                    "manager",
                    "groups",
                ];
                attrs.extend(document_complex());
                let attr = *self.rng.pick(&attrs);
                let inner = self.element_filter(attr, 0);
                Filter::value_path(AttrPath::new(attr), inner)
            }
        }
    }

    fn element_filter(&mut self, attr: &str, depth: usize) -> ValueFilter {
        let roll = if depth >= 2 { 0 } else { self.rng.below(8) };
        match roll {
            5 => ValueFilter::And(
                Box::new(self.element_filter(attr, depth + 1)),
                Box::new(self.element_filter(attr, depth + 1)),
            ),
            6 => ValueFilter::Or(
                Box::new(self.element_filter(attr, depth + 1)),
                Box::new(self.element_filter(attr, depth + 1)),
            ),
            7 => ValueFilter::Not(Box::new(self.element_filter(attr, depth + 1))),
            _ => {
                let subs = element_attributes(attr);
                let (name, ty) = *self.rng.pick(&subs);
                self.leaf(AttrPath::new(name), ty)
            }
        }
    }
}

/// Every string value in a JSON document (to draw comparison literals from).
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[rstest]
fn sql_filters_agree_with_the_evaluator(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    // `HUMBOL_DIFF_SEEDS=n` tries n populations and filter sets instead of one (for a longer hunt).
    let seeds: u64 = std::env::var("HUMBOL_DIFF_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    for seed in 0..seeds {
        differential_round(backend, seed);
    }
}

fn differential_round(backend: Backend, seed: u64) {
    let fx = fx(backend);
    let s = &fx.store;
    let mut rng = Rng(0x5eed_cafe_f00d_0001 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut ids = Vec::new();
    let mut stored: Vec<Stored<User>> = Vec::new();
    for i in 0..USERS {
        let u = gen_user(&mut rng, i, &ids);
        let created = s.create_user("acme", &u, ACTOR).unwrap();
        ids.push(created.id.clone());
        stored.push(created);
        if i % 7 == 0 {
            // Someone else's user with the same attributes: never returned for acme. (But its manager: a
            // manager must be a user of the same organisation, which the store enforces.)
            let other = User {
                manager: None,
                ..u.clone()
            };
            s.create_user("globex", &other, ACTOR).unwrap();
        }
    }
    // Some later changes, so that lastModified differs from created.
    for st in stored.iter_mut().step_by(5) {
        *st = s
            .update_user("acme", &st.id, None, ACTOR, &mut |c| {
                Ok(User {
                    active: !c.resource.active,
                    ..c.resource.clone()
                })
            })
            .unwrap();
    }
    // Groups with random members (some users in none, some in several); each user then reads back its groups.
    for (g, name) in GROUPS.iter().enumerate() {
        let members = ids
            .iter()
            .filter(|_| rng.chance(20 + 10 * g))
            .map(|id| scim_core::resource::Member {
                value: id.clone(),
                display: None,
            })
            .collect();
        let group = scim_core::resource::Group {
            display_name: name.to_string(),
            external_id: None,
            members,
        };
        s.create_group("acme", &group, ACTOR).unwrap();
    }
    for st in stored.iter_mut() {
        *st = s.user("acme", &st.id).unwrap().unwrap();
    }
    assert!(stored.iter().any(|u| u.resource.groups.len() > 1));
    assert!(stored.iter().any(|u| u.resource.groups.is_empty()));
    let jsons: HashMap<String, serde_json::Value> = stored
        .iter()
        .map(|u| (u.id.clone(), u.to_json(LOCATION)))
        .collect();
    let mut words = Vec::new();
    for j in jsons.values() {
        strings(j, &mut words);
    }
    let times: Vec<_> = stored
        .iter()
        .flat_map(|u| [u.meta.created, u.meta.last_modified])
        .collect();
    let mut generator = Gen {
        rng: Rng(0xf117_e125_0000_0002 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        words,
        times: &times,
    };

    let mut matched_some = 0;
    for n in 0..FILTERS {
        let f = generator.filter(0);
        let expected: BTreeSet<&str> = jsons
            .iter()
            .filter(|(_, j)| scim_core::eval::matches(&f, j, &USER_RESOURCE))
            .map(|(id, _)| id.as_str())
            .collect();
        let page = s
            .list_users(
                "acme",
                &Query {
                    filter: Some(f.clone()),
                    limit: 1000,
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("filter #{n} `{f}` failed: {e}"));
        let got: BTreeSet<&str> = page.items.iter().map(|u| u.id.as_str()).collect();
        if got != expected {
            let diff: Vec<_> = got.symmetric_difference(&expected).take(3).collect();
            let samples: Vec<String> = diff.iter().map(|id| jsons[**id].to_string()).collect();
            panic!(
                "seed {seed}, filter #{n} `{f}`: SQL found {} users, the evaluator {}; differing: {samples:#?}",
                got.len(),
                expected.len()
            );
        }
        assert_eq!(page.total as usize, got.len(), "total of `{f}`");
        if !got.is_empty() && got.len() < USERS {
            matched_some += 1;
        }
    }
    // The generator is worth something only if many filters select a proper, non-empty subset.
    assert!(
        matched_some > FILTERS / 4,
        "only {matched_some} selective filters"
    );
}
