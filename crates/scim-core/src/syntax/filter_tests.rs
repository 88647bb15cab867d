use super::*;
use crate::error::ScimError;
use crate::error::ScimType;
use proptest::prelude::*;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn parse(s: &str) -> Filter {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}
fn parse_err(s: &str) -> ScimError {
    match s.parse::<Filter>() {
        Ok(f) => panic!("{s:?} should not parse, got {f:?}"),
        Err(e) => {
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
            assert_eq!(e.status, 400);
            e
        }
    }
}
fn path(s: &str) -> AttrPath {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}
fn cmp<V>(p: &str, op: CompareOp, v: CompValue) -> Expr<V> {
    Expr::compare(path(p), op, v)
}
fn s(v: &str) -> CompValue {
    CompValue::String(v.to_string())
}
fn eq<V>(p: &str, v: &str) -> Expr<V> {
    cmp(p, CompareOp::Eq, s(v))
}
fn pr<V>(p: &str) -> Expr<V> {
    Expr::Present(path(p))
}
/// Parses, checks the AST, and checks that the canonical form parses back to it.
fn check(input: &str, expected: Filter) {
    let parsed = parse(input);
    assert_eq!(parsed, expected, "parsing {input:?}");
    let printed = parsed.to_string();
    assert_eq!(parse(&printed), expected, "re-parsing {printed:?}");
}

#[test]
fn every_comparison_operator_case_insensitively() {
    for op in CompareOp::ALL {
        for spelled in [
            op.as_str().to_string(),
            op.as_str().to_uppercase(),
            format!("{}{}", op.as_str()[..1].to_uppercase(), &op.as_str()[1..]),
        ] {
            check(
                &format!("userName {spelled} \"x\""),
                cmp("userName", op, s("x")),
            );
        }
    }
    check("title pr", pr("title"));
    check("title PR", pr("title"));
    check("title Pr", pr("title"));
}

#[test]
fn literals() {
    check(
        "active eq true",
        cmp("active", CompareOp::Eq, CompValue::Bool(true)),
    );
    check(
        "active eq True",
        cmp("active", CompareOp::Eq, CompValue::Bool(true)),
    );
    check(
        "active eq FALSE",
        cmp("active", CompareOp::Eq, CompValue::Bool(false)),
    );
    check(
        "manager eq null",
        cmp("manager", CompareOp::Eq, CompValue::Null),
    );
    check(
        "manager eq NULL",
        cmp("manager", CompareOp::Eq, CompValue::Null),
    );
    for (text, n) in [
        ("42", serde_json::Number::from(42)),
        ("-7", serde_json::Number::from(-7)),
        ("0", serde_json::Number::from(0)),
    ] {
        check(
            &format!("x gt {text}"),
            cmp("x", CompareOp::Gt, CompValue::Number(n)),
        );
    }
    for text in ["1.5", "-0.25", "1e3", "2.5E-3", "1E+2"] {
        let n: serde_json::Number = serde_json::from_str(text).unwrap();
        check(
            &format!("x ge {text}"),
            cmp("x", CompareOp::Ge, CompValue::Number(n)),
        );
    }
    // Floats read back exactly (found by proptest: serde_json's fast float parser is off by one ulp here).
    let x = -1.1440828672421147e275_f64;
    let f = cmp(
        "x",
        CompareOp::Ne,
        CompValue::Number(serde_json::Number::from_f64(x).unwrap()),
    );
    assert_eq!(parse(&f.to_string()), f);
    // Integers beyond u64 become floats.
    assert_eq!(
        parse("x eq 123456789012345678901234567890"),
        cmp(
            "x",
            CompareOp::Eq,
            CompValue::Number(serde_json::Number::from_f64(1.2345678901234568e29).unwrap())
        )
    );
    // Dates are strings.
    check(
        "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
        cmp(
            "meta.lastModified",
            CompareOp::Gt,
            s("2011-05-13T04:42:34Z"),
        ),
    );
}

#[test]
fn string_escapes() {
    check(r#"x eq "a\"b""#, eq("x", "a\"b"));
    check(r#"x eq "a\\b\/c""#, eq("x", "a\\b/c"));
    check(r#"x eq "\b\f\n\r\t""#, eq("x", "\u{8}\u{c}\n\r\t"));
    check(r#"x eq "\u00e9\u00C9""#, eq("x", "éÉ"));
    check(r#"x eq "\ud83d\ude00""#, eq("x", "😀"));
    check(r#"x eq "😀 O'Malley ü""#, eq("x", "😀 O'Malley ü"));
    check(r#"x eq "a and b or (c)""#, eq("x", "a and b or (c)"));
    check(r#"x eq """#, eq("x", ""));
    // Control characters print escaped and read back.
    let f = eq("x", "a\u{1}b\u{1f}\u{7f}");
    assert_eq!(f.to_string(), "x eq \"a\\u0001b\\u001f\u{7f}\"");
    assert_eq!(parse(&f.to_string()), f);
}

#[test]
fn bad_strings() {
    let e = parse_err(r#"x eq "abc"#);
    assert!(
        e.detail.contains("position 5: unterminated string"),
        "{}",
        e.detail
    );
    let e = parse_err(r#"x eq "a\qb""#);
    assert!(
        e.detail.contains("position 7: invalid escape \"\\q\""),
        "{}",
        e.detail
    );
    let e = parse_err(r#"x eq "\ud83d""#);
    assert!(
        e.detail.contains("position 6: invalid \\u escape"),
        "{}",
        e.detail
    );
    let e = parse_err(r#"x eq "\ude00""#);
    assert!(e.detail.contains("unpaired low surrogate"), "{}", e.detail);
    let e = parse_err(r#"x eq "a\u0000b""#);
    assert!(
        e.detail.contains("position 7: invalid \\u escape: U+0000"),
        "{}",
        e.detail
    );
    let e = parse_err(r#"x eq "\u12G4""#);
    assert!(e.detail.contains("4 hexadecimal digits"), "{}", e.detail);
    let e = parse_err("x eq \"a\nb\"");
    assert!(
        e.detail.contains("position 7: control character"),
        "{}",
        e.detail
    );
}

#[test]
fn bad_numbers() {
    for (input, pos) in [
        ("x eq 01", 5),
        ("x eq 1.", 7),
        ("x eq 1e", 7),
        ("x eq -", 6),
        ("x eq 12abc", 5),
        ("x eq 1.2.3", 5),
    ] {
        let e = parse_err(input);
        assert!(
            e.detail
                .starts_with(&format!("invalid filter at position {pos}: invalid number")),
            "{input}: {}",
            e.detail
        );
    }
    let e = parse_err("x eq 1e400");
    assert!(e.detail.contains("out of range"), "{}", e.detail);
}

#[test]
fn logical_operators_and_precedence() {
    let (a, b, c) = (pr("a"), pr("b"), pr("c"));
    check("a pr and b pr", Expr::and(a.clone(), b.clone()));
    check("a pr AND b pr", Expr::and(a.clone(), b.clone()));
    check("a pr Or b pr", Expr::or(a.clone(), b.clone()));
    // and binds tighter than or
    check(
        "a pr or b pr and c pr",
        Expr::or(a.clone(), Expr::and(b.clone(), c.clone())),
    );
    check(
        "a pr and b pr or c pr",
        Expr::or(Expr::and(a.clone(), b.clone()), c.clone()),
    );
    // left associative
    check(
        "a pr and b pr and c pr",
        Expr::and(Expr::and(a.clone(), b.clone()), c.clone()),
    );
    check(
        "a pr or b pr or c pr",
        Expr::or(Expr::or(a.clone(), b.clone()), c.clone()),
    );
    // parentheses
    check(
        "(a pr or b pr) and c pr",
        Expr::and(Expr::or(a.clone(), b.clone()), c.clone()),
    );
    check(
        "a pr and (b pr and c pr)",
        Expr::and(a.clone(), Expr::and(b.clone(), c.clone())),
    );
    check("((a pr))", a.clone());
    // not binds tightest, needs parentheses, optional space
    check("not (a pr)", Expr::negate(a.clone()));
    check("NOT(a pr)", Expr::negate(a.clone()));
    check(
        "not (a pr) and b pr",
        Expr::and(Expr::negate(a.clone()), b.clone()),
    );
    check(
        "not (a pr or b pr)",
        Expr::negate(Expr::or(a.clone(), b.clone())),
    );
    check("not (not (a pr))", Expr::negate(Expr::negate(a.clone())));
    // whitespace is free around tokens
    check("  (a pr)and(b pr)  ", Expr::and(a.clone(), b.clone()));
}

#[test]
fn canonical_form() {
    let cases = [
        ("userName Eq \"john\"", "userName eq \"john\""),
        ("a pr OR b pr AND c pr", "a pr or b pr and c pr"),
        ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
        ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
        ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
        ("((a pr) or (b pr)) or c pr", "a pr or b pr or c pr"),
        ("NOT(a pr)", "not (a pr)"),
        (
            "emails[type eq \"work\"].value eq \"x\"",
            "emails[type eq \"work\" and value eq \"x\"]",
        ),
        ("x eq \"\\u00e9\\/\"", "x eq \"é/\""),
        ("active eq TRUE", "active eq true"),
        ("x eq 1E+2", "x eq 100.0"),
    ];
    for (input, canonical) in cases {
        assert_eq!(parse(input).to_string(), canonical, "{input}");
    }
}

#[test]
fn attribute_paths() {
    check(
        "name.familyName co \"O'Malley\"",
        Filter::compare(
            AttrPath::with_sub("name", "familyName"),
            CompareOp::Co,
            s("O'Malley"),
        ),
    );
    check(
        &format!("{CORE}:userName sw \"J\""),
        Filter::compare(
            AttrPath {
                urn: Some(CORE.into()),
                name: "userName".into(),
                sub: None,
            },
            CompareOp::Sw,
            s("J"),
        ),
    );
    check(
        &format!("{ENTERPRISE}:manager.value eq \"m\""),
        Filter::compare(
            AttrPath {
                urn: Some(ENTERPRISE.into()),
                name: "manager".into(),
                sub: Some("value".into()),
            },
            CompareOp::Eq,
            s("m"),
        ),
    );
    // names are kept as written
    check(
        "USERNAME eq \"x\"",
        Filter::compare(AttrPath::new("USERNAME"), CompareOp::Eq, s("x")),
    );
    check("x-y_1 pr", pr("x-y_1"));
    check(
        "manager.$ref pr",
        Filter::Present(AttrPath::with_sub("manager", "$ref")),
    );
    // keywords are fine as attribute names
    check(
        "not eq \"x\"",
        Filter::compare(AttrPath::new("not"), CompareOp::Eq, s("x")),
    );
    check("and pr and or pr", Expr::and(pr("and"), pr("or")));
    check("pr pr", pr("pr"));
}

#[test]
fn value_paths() {
    let work = eq("type", "work");
    check(
        "emails[type eq \"work\"]",
        Filter::value_path(AttrPath::new("emails"), work.clone()),
    );
    check(
        "emails[type eq \"work\" and primary eq true]",
        Filter::value_path(
            AttrPath::new("emails"),
            Expr::and(
                work.clone(),
                cmp("primary", CompareOp::Eq, CompValue::Bool(true)),
            ),
        ),
    );
    check(
        "emails[not (type eq \"work\") or (value pr)]",
        Filter::value_path(
            AttrPath::new("emails"),
            Expr::or(Expr::negate(work.clone()), pr("value")),
        ),
    );
    // Entra: a condition on a sub-attribute after the value filter
    check(
        "emails[type eq \"work\"].value eq \"x\"",
        Filter::value_path(
            AttrPath::new("emails"),
            Expr::and(work.clone(), eq("value", "x")),
        ),
    );
    check(
        "emails[type eq \"work\" or type eq \"home\"].value pr",
        Filter::value_path(
            AttrPath::new("emails"),
            Expr::and(Expr::or(work.clone(), eq("type", "home")), pr("value")),
        ),
    );
    check(
        "members[value eq \"x\"]",
        Filter::value_path(AttrPath::new("members"), eq("value", "x")),
    );
    check(
        "id eq \"g\" and members[value eq \"u\"]",
        Expr::and(
            eq("id", "g"),
            Filter::value_path(AttrPath::new("members"), eq("value", "u")),
        ),
    );
    check(
        &format!("{ENTERPRISE}:manager[value eq \"m\"]"),
        Filter::value_path(
            AttrPath {
                urn: Some(ENTERPRISE.into()),
                name: "manager".into(),
                sub: None,
            },
            eq("value", "m"),
        ),
    );
    check(
        "not (emails[type eq \"work\"]) and (emails[value pr])",
        Expr::and(
            Expr::negate(Filter::value_path(AttrPath::new("emails"), work.clone())),
            Filter::value_path(AttrPath::new("emails"), pr("value")),
        ),
    );
}

/// The filter of a value path parses on its own, and holds no value path.
#[test]
fn value_filters_alone() {
    let work: ValueFilter = "type eq \"work\" and not (value pr)".parse().unwrap();
    assert_eq!(
        work,
        Expr::and(eq("type", "work"), Expr::negate(pr("value")))
    );
    let nested = "emails[type pr]".parse::<ValueFilter>().unwrap_err();
    assert_eq!(nested.scim_type, Some(ScimType::InvalidFilter));
    assert_eq!(
        nested.detail,
        "invalid filter at position 6: value filters do not nest: \"emails[\" is inside a value filter"
    );
}

#[test]
fn rfc7644_examples() {
    let examples = [
        r#"userName Eq "john""#,
        r#"userName eq "bjensen""#,
        r#"name.familyName co "O'Malley""#,
        r#"userName sw "J""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        r#"title pr"#,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        r#"title pr and userType eq "Employee""#,
        r#"title pr or userType eq "Intern""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
    ];
    for example in examples {
        let f = parse(example);
        assert_eq!(parse(&f.to_string()), f, "{example}");
    }
    assert_eq!(
        parse(examples[14]),
        Expr::and(
            cmp("userType", CompareOp::Ne, s("Employee")),
            Expr::negate(Expr::or(
                cmp("emails", CompareOp::Co, s("example.com")),
                cmp("emails.value", CompareOp::Co, s("example.org")),
            )),
        )
    );
    assert_eq!(
        parse(examples[17]),
        Expr::or(
            Filter::value_path(
                AttrPath::new("emails"),
                Expr::and(
                    eq("type", "work"),
                    cmp("value", CompareOp::Co, s("@example.com"))
                ),
            ),
            Filter::value_path(
                AttrPath::new("ims"),
                Expr::and(
                    eq("type", "xmpp"),
                    cmp("value", CompareOp::Co, s("@foo.com"))
                ),
            ),
        )
    );
}

#[test]
fn entra_filters() {
    check(
        r#"userName eq "Test_User_ab64@contoso.com""#,
        eq("userName", "Test_User_ab64@contoso.com"),
    );
    check(
        r#"userName eq "8d3e3f0c-5f55-4c4b-8a55-4fbd1a4e9a6c""#,
        eq("userName", "8d3e3f0c-5f55-4c4b-8a55-4fbd1a4e9a6c"),
    );
    check(
        r#"externalId eq "0a21f0f2-8d2a-4f8e""#,
        eq("externalId", "0a21f0f2-8d2a-4f8e"),
    );
    check(r#"id eq "abc""#, eq("id", "abc"));
    check(r#"displayName eq "Sales""#, eq("displayName", "Sales"));
    check(
        r#"emails[type eq "work"].value eq "alice@contoso.com""#,
        Filter::value_path(
            AttrPath::new("emails"),
            Expr::and(eq("type", "work"), eq("value", "alice@contoso.com")),
        ),
    );
    check(
        r#"id eq "g1" and members[value eq "u1"]"#,
        Expr::and(
            eq("id", "g1"),
            Filter::value_path(AttrPath::new("members"), eq("value", "u1")),
        ),
    );
    check(
        r#"roles[primary eq "True"].value eq "Admin""#,
        Filter::value_path(
            AttrPath::new("roles"),
            Expr::and(eq("primary", "True"), eq("value", "Admin")),
        ),
    );
}

/// Microsoft's request shapes: unquoted values and bare date-times are strings.
#[test]
fn unquoted_values_are_strings() {
    let s = |v: &str| CompValue::String(v.into());
    for (input, want) in [
        ("userName sw O", cmp("userName", CompareOp::Sw, s("O"))),
        (
            "userName eq john",
            cmp("userName", CompareOp::Eq, s("john")),
        ),
        (
            "name.familyName eq Employee",
            Filter::compare(
                "name.familyName".parse().unwrap(),
                CompareOp::Eq,
                s("Employee"),
            ),
        ),
        (
            "meta.lastModified gt 2011-05-13T04:42:34Z",
            Filter::compare(
                "meta.lastModified".parse().unwrap(),
                CompareOp::Gt,
                s("2011-05-13T04:42:34Z"),
            ),
        ),
        (
            "meta.created ge 2011-05-13T04:42:34.5+02:00",
            Filter::compare(
                "meta.created".parse().unwrap(),
                CompareOp::Ge,
                s("2011-05-13T04:42:34.5+02:00"),
            ),
        ),
    ] {
        let f: Filter = input.parse().unwrap();
        assert_eq!(f, want, "{input}");
        // Written back quoted, and that reads the same.
        assert_eq!(f.to_string().parse::<Filter>().unwrap(), f, "{input}");
    }
    // Numbers stay numbers.
    let f: Filter = "x gt 2011".parse().unwrap();
    assert!(matches!(
        f,
        Filter::Compare {
            value: CompValue::Number(_),
            ..
        }
    ));
}

#[test]
fn error_positions_and_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "userName equals \"john\"",
            "invalid filter at position 9: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after attribute path \"userName\", found \"equals\"",
        ),
        (
            "userName",
            "invalid filter at position 8: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after attribute path \"userName\", found the end of the input",
        ),
        (
            "userName eq )",
            "invalid filter at position 12: expected a value after \"userName eq\" (a string in double quotes, a number, true, false or null), found \")\"",
        ),
        ("", "invalid filter at position 0: expected an attribute path, \"(\" or \"not\", found the end of the input"),
        ("   ", "invalid filter at position 3: expected an attribute path, \"(\" or \"not\", found the end of the input"),
        (
            "a pr and",
            "invalid filter at position 8: expected an attribute path, \"(\" or \"not\", found the end of the input",
        ),
        (
            "a pr b pr",
            "invalid filter at position 5: expected \"and\", \"or\" or the end of the filter, found \"b\"",
        ),
        (
            "(a pr",
            "invalid filter at position 5: expected \"and\", \"or\" or \")\" (to close the \"(\" at position 0), found the end of the input",
        ),
        (
            "a pr)",
            "invalid filter at position 4: expected \"and\", \"or\" or the end of the filter, found \")\"",
        ),
        (
            "not a pr",
            "invalid filter at position 4: expected \"(\" after \"not\", found \"a\"",
        ),
        (
            "emails[type eq \"work\"",
            "invalid filter at position 21: expected \"and\", \"or\" or \"]\" (to close the value filter of \"emails\" opened at position 6), found the end of the input",
        ),
        (
            "emails[type eq \"work\"] eq \"x\"",
            "invalid filter at position 23: expected \"and\", \"or\" or the end of the filter, found \"eq\"",
        ),
        (
            "emails[members[value eq \"x\"]]",
            "invalid filter at position 14: value filters do not nest: \"members[\" is inside \"emails[...]\"",
        ),
        (
            "name.givenName[value pr]",
            "invalid filter at position 14: a value filter applies to a multi-valued attribute, not to the sub-attribute \"name.givenName\"",
        ),
        ("userName eq \"x\" && a pr", "invalid filter at position 16: unexpected character '&'"),
        ("userName = \"x\"", "invalid filter at position 9: unexpected character '='"),
        ("x eq 'y'", "invalid filter at position 5: unexpected character '\\''"),
        ("a.b.c pr", "invalid filter at position 3: invalid character '.' in sub-attribute name \"b.c\" (letters, digits, '-' and '_' only)"),
        ("_a pr", "invalid filter at position 0: attribute name \"_a\" must start with a letter"),
        ("name. pr", "invalid filter at position 5: expected a sub-attribute name"),
        ("foo:bar pr", "invalid filter at position 0: \"foo\" is not a schema URN: a qualified attribute path is \"urn:...:attributeName\""),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User: pr",
            "invalid filter at position 43: expected an attribute name",
        ),
        (
            "emails[type eq \"work\"] .value eq \"x\"",
            "invalid filter at position 23: expected \"and\", \"or\" or the end of the filter, found \".value\"",
        ),
        (
            "emails[type eq \"work\"].2x eq \"x\"",
            "invalid filter at position 23: sub-attribute name \"2x\" must start with a letter",
        ),
        (".value eq \"x\"", "invalid filter at position 0: expected an attribute name"),
        ("x eq \"y\" or", "invalid filter at position 11: expected an attribute path, \"(\" or \"not\", found the end of the input"),
        ("é eq \"y\"", "invalid filter at position 0: unexpected character 'é'"),
    ];
    for (input, message) in cases {
        assert_eq!(parse_err(input).detail, *message, "{input}");
    }
}

#[test]
fn length_is_bounded() {
    let long = format!("userName eq \"{}\"", "a".repeat(MAX_FILTER_LEN));
    let e = parse_err(&long);
    assert!(e.detail.contains("at most 4096"), "{}", e.detail);
    let ok = format!("userName eq \"{}\"", "a".repeat(MAX_FILTER_LEN - 14));
    assert_eq!(ok.len(), MAX_FILTER_LEN);
    parse(&ok);
}

#[test]
fn depth_is_bounded() {
    let nested =
        |n: usize, open: &str, close: &str| format!("{}a pr{}", open.repeat(n), close.repeat(n));
    parse(&nested(MAX_FILTER_DEPTH, "(", ")"));
    parse(&nested(MAX_FILTER_DEPTH, "not (", ")"));
    let e = parse_err(&nested(MAX_FILTER_DEPTH + 1, "(", ")"));
    assert_eq!(
        e.detail,
        "invalid filter at position 32: the filter nests more than 32 levels of parentheses, \"not\" and value filters"
    );
    parse_err(&nested(MAX_FILTER_DEPTH + 1, "not (", ")"));
    // a value filter counts as a level
    parse(&format!(
        "{}emails[value pr]{}",
        "(".repeat(31),
        ")".repeat(31)
    ));
    parse_err(&format!(
        "{}emails[value pr]{}",
        "(".repeat(32),
        ")".repeat(32)
    ));
    // long flat chains are fine
    let chain = vec!["a pr"; 400].join(" and ");
    assert!(chain.len() < MAX_FILTER_LEN);
    parse(&chain);
}

#[test]
fn hundred_thousand_parens_fail_fast() {
    let start = std::time::Instant::now();
    let e = parse_err(&"(".repeat(100_000));
    assert!(e.detail.contains("at most 4096"), "{}", e.detail);
    // Within the length limit, the depth limit stops the recursion.
    let e = parse_err(&"(".repeat(MAX_FILTER_LEN));
    assert!(e.detail.contains("nests more than 32"), "{}", e.detail);
    let e = parse_err(&"not (".repeat(MAX_FILTER_LEN / 5));
    assert!(e.detail.contains("nests more than 32"), "{}", e.detail);
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
}

// ----- property tests -----

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        10 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        1 => Just("$ref".to_string()),
        1 => prop::sample::select(vec!["and", "or", "not", "pr", "eq", "true", "null"]).prop_map(String::from),
    ]
}

fn arb_urn() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(None),
        1 => Just(Some(ENTERPRISE.to_string())),
        1 => Just(Some(CORE.to_string())),
        1 => "urn:[a-z]{1,4}(:[a-zA-Z0-9._-]{1,6}){1,3}".prop_map(Some),
    ]
}

fn arb_path() -> impl Strategy<Value = AttrPath> {
    (arb_urn(), arb_name(), prop::option::of(arb_name())).prop_map(|(urn, name, sub)| AttrPath {
        urn,
        name,
        sub,
    })
}

fn arb_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(CompValue::Number),
        // U+0000 is refused in a string literal (`bad_strings`).
        any::<String>().prop_map(|s| CompValue::String(s.replace('\0', ""))),
    ]
}

/// A comparison or presence test, in a [`Filter`] or a [`ValueFilter`].
fn arb_leaf<V: std::fmt::Debug + Clone + 'static>() -> impl Strategy<Value = Expr<V>> {
    prop_oneof![
        4 => (arb_path(), prop::sample::select(CompareOp::ALL.to_vec()), arb_value())
            .prop_map(|(path, op, value)| Expr::Compare { path, op, value }),
        1 => arb_path().prop_map(Expr::Present),
    ]
}

fn arb_logic<V: std::fmt::Debug + Clone + 'static>(
    leaf: BoxedStrategy<Expr<V>>,
) -> impl Strategy<Value = Expr<V>> {
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::and(a, b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::or(a, b)),
            inner.prop_map(Expr::negate),
        ]
    })
}

fn arb_filter() -> impl Strategy<Value = Filter> {
    let value_path = (
        (arb_urn(), arb_name()).prop_map(|(urn, name)| AttrPath {
            urn,
            name,
            sub: None,
        }),
        arb_logic(arb_leaf().boxed()),
    )
        .prop_map(|(attr, filter)| Filter::value_path(attr, filter));
    arb_logic(prop_oneof![3 => arb_leaf(), 1 => value_path].boxed())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn display_parses_back(filter in arb_filter()) {
        let printed = filter.to_string();
        let parsed: Result<Filter, _> = printed.parse();
        prop_assert_eq!(parsed, Ok(filter), "printed: {}", printed);
    }

    #[test]
    fn value_filter_display_parses_back(filter in arb_logic::<NoValuePath>(arb_leaf().boxed())) {
        let printed = filter.to_string();
        let parsed: Result<ValueFilter, _> = printed.parse();
        prop_assert_eq!(parsed, Ok(filter), "printed: {}", printed);
    }

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        let _ = input.parse::<Filter>();
    }

    #[test]
    fn filter_like_strings_never_panic(
        input in r#"([a-zA-Z0-9 ()\[\]".:$_\\-]|and |or |not|eq |pr|\\u[0-9a-fA-FdD]{0,4}|emails|\[type){0,40}"#
    ) {
        if let Ok(filter) = input.parse::<Filter>() {
            prop_assert_eq!(filter.to_string().parse::<Filter>(), Ok(filter));
        }
    }
}
