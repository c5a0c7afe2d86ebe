//! Redaction of personal data and secrets from log lines.
//!
//! Applied to every formatted line just before it is written (see
//! [`super::ScrubbingWriter`]), so a field, a message or an error text that
//! carries an email address, a phone number, a token, a password or a cookie
//! never reaches the log, whoever logged it.

use std::{borrow::Cow, sync::LazyLock};

use regex::{Captures, Regex};

pub const REDACTED: &str = "[redacted]";
pub const EMAIL: &str = "[email]";
pub const PHONE: &str = "[phone]";

struct Rules {
    url_credentials: Regex,
    auth_scheme: Regex,
    cookie: Regex,
    secret_pair: Regex,
    email: Regex,
    phone_candidate: Regex,
    date_or_ip: Regex,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    Rules {
    // scheme://user:password@host
    url_credentials: Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]+):[^@\s/]+@").unwrap(),
    // Authorization header values: "Bearer abc.def", "Basic dXNlcjpwYXNz"
    auth_scheme: Regex::new(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9\-._~+/]+=*").unwrap(),
    // cookie: a=b; c=d   |   "set-cookie": "sid=..."
    cookie: Regex::new(r#"(?i)\b((?:set-)?cookie)(\\?"?\s*[:=]\s*\\?"?)[^"\\\r\n]*"#).unwrap(),
    // password=..., "api_key": "...", secret: ..., token=...
    secret_pair: Regex::new(
        r#"(?i)\b([a-z_\-]*(?:password|passwd|secret|token|api[_\-]?key|authorization)[a-z_\-]*)(\\?"?\s*[:=]\s*)(\\?"[^"\\]*\\?"|'[^']*'|[^\s,&;})"]+)"#,
    )
    .unwrap(),
    email: Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}").unwrap(),
    phone_candidate: Regex::new(r"\+?\(?\d[\d ().\-/]{5,20}\d").unwrap(),
    date_or_ip: Regex::new(r"^(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3})").unwrap(),
}
});

/// Returns `line` with secrets and personal data replaced by placeholders.
pub fn scrub(line: &str) -> Cow<'_, str> {
    let r = &*RULES;
    let mut out = Cow::Borrowed(line);
    replace(&mut out, &r.url_credentials, |c| {
        format!("{}:{REDACTED}@", &c[1])
    });
    replace(&mut out, &r.auth_scheme, |c| {
        format!("{} {REDACTED}", &c[1])
    });
    replace(&mut out, &r.cookie, |c| {
        format!("{}{}{REDACTED}", &c[1], &c[2])
    });
    replace(&mut out, &r.secret_pair, |c| {
        let value = &c[3];
        // "authorization: Bearer [redacted]": the scheme rule already took the credential.
        if ["bearer", "basic", "token"]
            .iter()
            .any(|s| value.eq_ignore_ascii_case(s))
        {
            return c[0].to_string();
        }
        // Keep the quoting so JSON lines stay valid JSON.
        let quoted = if value.starts_with("\\\"") {
            format!("\\\"{REDACTED}\\\"")
        } else if value.starts_with('"') {
            format!("\"{REDACTED}\"")
        } else {
            REDACTED.to_string()
        };
        format!("{}{}{quoted}", &c[1], &c[2])
    });
    replace(&mut out, &r.email, |_| EMAIL.to_string());
    if r.phone_candidate.is_match(&out) {
        let replaced = r
            .phone_candidate
            .replace_all(&out, |c: &Captures| {
                let m = c.get(0).unwrap();
                let before = out[..m.start()].chars().next_back();
                let after = out[m.end()..].chars().next();
                if looks_like_phone(m.as_str(), before, after) {
                    PHONE.to_string()
                } else {
                    m.as_str().to_string()
                }
            })
            .into_owned();
        out = Cow::Owned(replaced);
    }
    out
}

fn replace(text: &mut Cow<'_, str>, re: &Regex, rep: impl Fn(&Captures) -> String) {
    if re.is_match(text) {
        *text = Cow::Owned(re.replace_all(text, |c: &Captures| rep(c)).into_owned());
    }
}

/// Tells a phone number from the other digit runs of a log line: dates, times,
/// IP addresses, decimals, ids and counters.
fn looks_like_phone(candidate: &str, before: Option<char>, after: Option<char>) -> bool {
    // Part of a longer token (a UUID, a hash, a version string, a key=value number).
    let glued = |c: Option<char>| {
        c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'))
    };
    if glued(before) || glued(after) {
        return false;
    }
    let body = candidate.trim_end();
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return false;
    }
    if RULES
        .date_or_ip
        .is_match(body.trim_start_matches(['+', '(']))
    {
        return false;
    }
    if body.starts_with('+') {
        return true;
    }
    let separators: Vec<char> = body.chars().filter(|c| !c.is_ascii_digit()).collect();
    match separators.as_slice() {
        // A bare number: a phone only with a national trunk prefix (0...).
        [] => body.starts_with('0') && digits >= 9,
        // 12.5 or 1234.5678: a decimal.
        ['.'] => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_email_addresses() {
        assert_eq!(
            scrub("invite sent to jane.doe+x@example.co.uk"),
            "invite sent to [email]"
        );
        assert_eq!(scrub(r#"{"to":"a@b.io"}"#), r#"{"to":"[email]"}"#);
    }

    #[test]
    fn redacts_phone_numbers_in_common_formats() {
        for phone in [
            "+49 151 1234 5678",
            "+14155552671",
            "(555) 123-4567",
            "555-123-4567",
            "030 12345678",
            "07700 900123",
            "0301234567",
        ] {
            let line = format!("client phone {phone} saved");
            assert_eq!(scrub(&line), "client phone [phone] saved", "{phone}");
        }
    }

    #[test]
    fn keeps_digits_that_are_not_phones() {
        for line in [
            "2026-11-22T04:03:00.123456Z INFO started",
            "2026-11-22 04:03:00",
            "request_id=0192f1a4-7b3c-7d1e-8f00-123456789abc",
            "latency_ms=1234.5678",
            "client ip 192.168.100.200 connected",
            "rows=1234567",
            "version 20261122000000",
            "took 12 ms for 345 rows",
        ] {
            assert_eq!(scrub(line), line);
        }
    }

    #[test]
    fn redacts_bearer_and_basic_tokens() {
        assert_eq!(
            scrub("authorization: Bearer eyJhbGciOi.J9.abc-_"),
            "authorization: Bearer [redacted]"
        );
        assert_eq!(scrub("Basic dXNlcjpwYXNz"), "Basic [redacted]");
    }

    #[test]
    fn redacts_passwords_and_secrets_in_pairs_and_json() {
        assert_eq!(
            scrub("login password=hunter2 ok"),
            "login password=[redacted] ok"
        );
        assert_eq!(
            scrub(r#"{"new_password":"hunter2","user":"u1"}"#),
            r#"{"new_password":"[redacted]","user":"u1"}"#
        );
        assert_eq!(scrub("api_key: fd_live_abc123"), "api_key: [redacted]");
        assert_eq!(
            scrub("reset_token=abc&next=/"),
            "reset_token=[redacted]&next=/"
        );
        // Inside a JSON string value, as the JSON formatter escapes quotes.
        assert_eq!(
            scrub(r#"{"message":"body {\"password\":\"hunter2\"}"}"#),
            r#"{"message":"body {\"password\":\"[redacted]\"}"}"#
        );
    }

    #[test]
    fn redacts_cookie_values() {
        assert_eq!(
            scrub("cookie: sid=abc123; theme=dark"),
            "cookie: [redacted]"
        );
        assert_eq!(
            scrub(r#"{"set-cookie":"sid=abc; HttpOnly","x":1}"#),
            r#"{"set-cookie":"[redacted]","x":1}"#
        );
    }

    #[test]
    fn redacts_credentials_in_urls() {
        assert_eq!(
            scrub("connecting to postgres://app:s3cr3t@db:5432/frontdesk"),
            "connecting to postgres://app:[redacted]@db:5432/frontdesk"
        );
    }

    #[test]
    fn leaves_clean_lines_untouched_without_copying() {
        assert!(matches!(scrub("GET /api/health 200"), Cow::Borrowed(_)));
    }
}
