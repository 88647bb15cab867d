//! Database URLs with their secrets removed, for every message and log line that shows one.

/// Query or keyword parameters whose values are secrets (libpq: `password`, `sslpassword`).
fn is_secret_key(key: &str) -> bool {
    key.to_ascii_lowercase().contains("password")
}

/// `text` (a `DATABASE_URL` or anything a user may have put there) with every password replaced by `***`:
/// the userinfo password of a URL (`postgres://u:pw@h/db`), query parameters (`?password=pw`,
/// `&sslpassword=pw`) and keyword/value strings (`host=h password=pw`, `password='p w'`). Anything else is
/// kept, so that the message still says which database was meant.
pub fn redact_database_url(text: &str) -> String {
    match text.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", redact_url_rest(rest)),
        None if text.contains('=') => redact_keywords(text),
        None => text.to_string(),
    }
}

/// `user:pw@host/db?query` after the scheme.
fn redact_url_rest(rest: &str) -> String {
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let mut out = match before_query.rfind('@') {
        Some(at) => {
            let (userinfo, host) = before_query.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***{host}"),
                None => before_query.to_string(),
            }
        }
        None => before_query.to_string(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if is_secret_key(key) => format!("{key}=***"),
                _ => param.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// `key=value key='quoted value'` (libpq's keyword/value form).
fn redact_keywords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let (head, tail) = rest.split_at(eq);
        let key = head
            .trim_end()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or(head);
        let value_and_rest = &tail[1..];
        let value_len = value_len(value_and_rest);
        out.push_str(head);
        out.push('=');
        if is_secret_key(key) {
            out.push_str("***");
        } else {
            out.push_str(&value_and_rest[..value_len]);
        }
        rest = &value_and_rest[value_len..];
    }
    out.push_str(rest);
    out
}

/// Length of the value at the start of `s`: up to whitespace, or a whole single-quoted value (with `\'`).
fn value_len(s: &str) -> usize {
    let trimmed = s.trim_start();
    let lead = s.len() - trimmed.len();
    if let Some(quoted) = trimmed.strip_prefix('\'') {
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '\'' if !escaped => return lead + 1 + i + 1,
                _ => escaped = false,
            }
        }
        s.len()
    } else {
        lead + trimmed.find(char::is_whitespace).unwrap_or(trimmed.len())
    }
}

#[cfg(test)]
mod tests {
    use super::redact_database_url as r;

    #[test]
    fn every_form_loses_its_password() {
        let cases = [
            (
                "postgres://u:hunter2@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            (
                "postgres://u@h/db?password=hunter2",
                "postgres://u@h/db?password=***",
            ),
            (
                "postgresql://u@h/db?sslmode=require&sslpassword=hunter2&x=1",
                "postgresql://u@h/db?sslmode=require&sslpassword=***&x=1",
            ),
            ("postgres://u:hun@ter2@h/db", "postgres://u:***@h/db"),
            (
                "host=db user=u password=hunter2 dbname=x",
                "host=db user=u password=*** dbname=x",
            ),
            (
                "host=db password='hun ter2' dbname=x",
                "host=db password=*** dbname=x",
            ),
            ("host=db password = hunter2", "host=db password =***"),
            ("mysql://root:hunter2@db/x", "mysql://root:***@db/x"),
        ];
        for (given, shown) in cases {
            assert_eq!(r(given), shown, "{given}");
            assert!(!r(given).contains("hunter2"));
        }
    }

    #[test]
    fn the_rest_is_kept() {
        for kept in [
            "sqlite://humbol.db",
            "humbol.db",
            "postgres://u@h/db?sslmode=require",
            "",
        ] {
            assert_eq!(r(kept), kept);
        }
    }
}
