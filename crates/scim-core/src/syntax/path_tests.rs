use super::*;
use crate::error::ScimType;
use crate::syntax::{CompValue, CompareOp};
use proptest::prelude::*;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn attr(s: &str) -> AttrPath {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}
fn patch(s: &str) -> PatchPath {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}
fn patch_err(s: &str) -> String {
    match s.parse::<PatchPath>() {
        Ok(p) => panic!("{s:?} should not parse, got {p:?}"),
        Err(e) => {
            assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
            e.detail
        }
    }
}
fn eq(p: &str, v: &str) -> ValueFilter {
    ValueFilter::compare(AttrPath::new(p), CompareOp::Eq, CompValue::String(v.into()))
}

#[test]
fn attr_paths() {
    assert_eq!(attr("userName"), AttrPath::new("userName"));
    assert_eq!(
        attr("name.familyName"),
        AttrPath::with_sub("name", "familyName")
    );
    assert_eq!(attr("manager.$ref"), AttrPath::with_sub("manager", "$ref"));
    assert_eq!(attr("a-b_9"), AttrPath::new("a-b_9"));
    assert_eq!(
        attr(&format!("{ENTERPRISE}:manager.value")),
        AttrPath {
            urn: Some(ENTERPRISE.into()),
            name: "manager".into(),
            sub: Some("value".into()),
        }
    );
    assert_eq!(
        attr("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
        AttrPath {
            urn: Some("urn:ietf:params:scim:schemas:core:2.0:User".into()),
            name: "userName".into(),
            sub: None,
        }
    );
    assert_eq!(
        attr(&format!("{ENTERPRISE}:department")).urn.as_deref(),
        Some(ENTERPRISE)
    );
    for s in [
        "userName",
        "name.givenName",
        "manager.$ref",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "URN:IETF:params:scim:schemas:core:2.0:User:UserName",
    ] {
        assert_eq!(attr(s).to_string(), s);
    }
    assert!(attr("UserName").is("username"));
}

#[test]
fn attr_path_errors() {
    let cases = [
        ("", "invalid path at position 0: expected an attribute name"),
        ("1abc", "invalid path at position 0: attribute name \"1abc\" must start with a letter"),
        (" userName", "invalid path at position 0: attribute name \" userName\" must start with a letter"),
        ("user name", "invalid path at position 4: invalid character ' ' in attribute name \"user name\" (letters, digits, '-' and '_' only)"),
        ("a.b.c", "invalid path at position 3: invalid character '.' in sub-attribute name \"b.c\" (letters, digits, '-' and '_' only)"),
        ("name.", "invalid path at position 5: expected a sub-attribute name"),
        ("emails[type eq \"work\"]", "invalid path at position 6: invalid character '[' in attribute name \"emails[type eq \"work\"]\" (letters, digits, '-' and '_' only)"),
        ("x:userName", "invalid path at position 0: \"x\" is not a schema URN: a qualified attribute path is \"urn:...:attributeName\""),
        ("$refs", "invalid path at position 0: attribute name \"$refs\" must start with a letter"),
    ];
    for (input, message) in cases {
        let e = input.parse::<AttrPath>().unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
        assert_eq!(e.detail, message, "{input:?}");
    }
    assert!("a".repeat(5000).parse::<AttrPath>().is_err());
}

#[test]
fn patch_paths() {
    assert_eq!(
        patch("name.familyName"),
        PatchPath {
            attr: AttrPath::with_sub("name", "familyName"),
            filter: None,
            sub_attr: None,
        }
    );
    assert_eq!(
        patch("emails[type eq \"work\"].value"),
        PatchPath {
            attr: AttrPath::new("emails"),
            filter: Some(eq("type", "work")),
            sub_attr: Some("value".into()),
        }
    );
    assert_eq!(
        patch("members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"),
        PatchPath {
            attr: AttrPath::new("members"),
            filter: Some(eq("value", "2819c223-7f76-453a-919d-413861904646")),
            sub_attr: None,
        }
    );
    assert_eq!(
        patch(&format!("{ENTERPRISE}:manager")),
        PatchPath {
            attr: AttrPath {
                urn: Some(ENTERPRISE.into()),
                name: "manager".into(),
                sub: None,
            },
            filter: None,
            sub_attr: None,
        }
    );
    assert_eq!(
        patch("addresses[type eq \"work\"].locality"),
        PatchPath {
            attr: AttrPath::new("addresses"),
            filter: Some(eq("type", "work")),
            sub_attr: Some("locality".into()),
        }
    );
    assert_eq!(
        patch("roles[primary eq \"True\"].value").filter,
        Some(eq("primary", "True"))
    );
    assert_eq!(
        patch("members[value eq \"x\"].$ref").sub_attr.as_deref(),
        Some("$ref")
    );
    assert_eq!(
        patch("emails[type eq \"work\" and (primary eq true or value ew \".com\")]").to_string(),
        "emails[type eq \"work\" and (primary eq true or value ew \".com\")]"
    );
    for s in [
        "active",
        "emails[type eq \"work\"].value",
        "members[value eq \"2819c223\"]",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "addresses[type eq \"work\"].locality",
    ] {
        assert_eq!(patch(s).to_string(), s);
        assert_eq!(patch(&patch(s).to_string()), patch(s));
    }
    // Entra's legacy op names are the PATCH engine's business; paths only need to parse.
    assert_eq!(patch("  active "), patch("active"));
}

#[test]
fn patch_path_errors() {
    let cases = [
        ("", "invalid path at position 0: expected an attribute path, found the end of the input"),
        ("emails[", "invalid path at position 7: expected an attribute path, \"(\" or \"not\", found the end of the input"),
        ("emails[type eq \"work\"", "invalid path at position 21: expected \"and\", \"or\" or \"]\" (to close the value filter of \"emails\" opened at position 6), found the end of the input"),
        ("emails[type eq \"work\"].value.x", "invalid path at position 28: invalid character '.' in sub-attribute name \"value.x\" (letters, digits, '-' and '_' only)"),
        ("emails[type eq \"work\"] .value", "invalid path at position 23: expected \".subAttribute\" or the end of the path after the value filter, found \".value\""),
        ("emails[type eq \"work\"][value pr]", "invalid path at position 22: expected \".subAttribute\" or the end of the path after the value filter, found \"[\""),
        ("emails[type eq \"work\"].value eq \"x\"", "invalid path at position 29: expected \".subAttribute\" or the end of the path after the value filter, found \"eq\""),
        ("emails[members[value pr]]", "invalid path at position 14: value filters do not nest: \"members[\" is inside \"emails[...]\""),
        ("name.givenName[value pr]", "invalid path at position 14: a value filter applies to a multi-valued attribute, not to the sub-attribute \"name.givenName\""),
        ("userName eq \"x\"", "invalid path at position 9: expected \"[\" or the end of the path after \"userName\", found \"eq\""),
        ("emails[type]", "invalid path at position 11: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after attribute path \"type\", found \"]\""),
        ("\"emails\"", "invalid path at position 0: expected an attribute path, found the string \"emails\""),
    ];
    for (input, message) in cases {
        assert_eq!(patch_err(input), message, "{input:?}");
    }
    let long = format!("emails[value eq \"{}\"]", "x".repeat(5000));
    assert!(patch_err(&long).contains("at most 4096"));
    assert!(patch_err(&format!(
        "emails[{}value pr{}]",
        "(".repeat(40),
        ")".repeat(40)
    ))
    .contains("nests more than 32"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        let _ = input.parse::<AttrPath>();
        let _ = input.parse::<PatchPath>();
    }

    #[test]
    fn attr_paths_print_back(
        urn in prop::option::of("urn:[a-z]{1,5}(:[a-zA-Z0-9._-]{1,8}){1,4}"),
        name in "[a-zA-Z][a-zA-Z0-9_-]{0,10}",
        sub in prop::option::of("[a-zA-Z][a-zA-Z0-9_-]{0,10}|\\$ref"),
    ) {
        let path = AttrPath { urn, name, sub };
        prop_assert_eq!(path.to_string().parse::<AttrPath>(), Ok(path.clone()));
        let patch = PatchPath { attr: path, filter: None, sub_attr: None };
        prop_assert_eq!(patch.to_string().parse::<PatchPath>(), Ok(patch.clone()));
    }
}
