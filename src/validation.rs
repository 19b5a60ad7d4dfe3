//! Input checks shared by every area; each failure names the field.

use crate::error::{AppError, AppResult};

/// Trims `value` and checks its length (in characters) and that it has no
/// control characters (NUL included).
pub fn text(field: &str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let value = value.trim();
    let len = value.chars().count();
    if len < min {
        return Err(AppError::bad_input(
            field,
            if min == 1 {
                format!("{field} must not be empty")
            } else {
                format!("{field} must be at least {min} characters")
            },
        ));
    }
    if len > max {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::bad_input(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(value.to_string())
}

/// Optional text: empty or blank becomes `None`.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, 1, max).map(Some),
    }
}

/// An optional whole number within `min..=max`; `default` when absent.
pub fn number_or(
    field: &str,
    value: Option<i32>,
    min: i32,
    max: i32,
    default: i64,
) -> AppResult<i64> {
    match value {
        None => Ok(default),
        Some(n) if (min..=max).contains(&n) => Ok(i64::from(n)),
        Some(_) => Err(AppError::bad_input(
            field,
            format!("{field} must be {min}-{max}"),
        )),
    }
}

/// A slug: 2-64 characters of `a-z`, `0-9` and single inner hyphens.
pub fn slug(field: &str, value: &str) -> AppResult<String> {
    let ok = (2..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if ok {
        Ok(value.to_string())
    } else {
        Err(AppError::bad_input(
            field,
            format!("{field} must be 2-64 characters of a-z, 0-9 and single hyphens inside, e.g. \"acme-outdoors\""),
        ))
    }
}

/// Derives a slug from a name ("Acme Outdoors!" -> "acme-outdoors").
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(64).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// An absolute `http` or `https` URL without spaces, at most 2048 characters.
pub fn url(field: &str, value: &str) -> AppResult<String> {
    let value = value.trim();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let ok = match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty()
                && value.len() <= 2048
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok {
        Ok(value.to_string())
    } else {
        Err(AppError::bad_input(
            field,
            format!("{field} must be an absolute http(s) URL such as https://example.com"),
        ))
    }
}

/// Refuses `expected` (an `expectedVersion` argument) with `CONFLICT` when
/// the row is at another version; no `expectedVersion` means last write wins.
pub fn check_version(what: &str, current: i32, expected: Option<i32>) -> AppResult<()> {
    match expected {
        Some(v) if v != current => Err(AppError::Conflict(format!(
            "the {what} was changed meanwhile (version {current} now, {v} expected); read it again"
        ))),
        _ => Ok(()),
    }
}

/// An e-mail address, trimmed and in lower case.
pub fn email(field: &str, email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split('@').count() == 2
        && email.split('@').all(|p| !p.is_empty())
        && email
            .split('@')
            .nth(1)
            .is_some_and(|d| d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(AppError::bad_input(
            field,
            format!("{field} must be an e-mail address such as ana@example.com"),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn slugify_makes_valid_slugs() {
        assert_eq!(slugify("Acme Outdoors!"), "acme-outdoors");
        assert_eq!(slugify("  Café -- Bar "), "caf-bar");
        assert!(slug("s", &slugify("Acme Outdoors!")).is_ok());
    }

    #[test]
    fn text_refuses_nul_and_blank() {
        assert!(text("name", "a\0b", 1, 10).is_err());
        assert!(text("name", "   ", 1, 10).is_err());
        assert_eq!(text("name", " ok ", 1, 10).unwrap(), "ok");
    }

    #[test]
    fn number_or_keeps_the_range_and_defaults() {
        assert_eq!(number_or("n", None, 1, 10, 7).unwrap(), 7);
        assert_eq!(number_or("n", Some(1), 1, 10, 7).unwrap(), 1);
        assert_eq!(number_or("n", Some(10), 1, 10, 7).unwrap(), 10);
        for bad in [0, 11, -1] {
            match number_or("n", Some(bad), 1, 10, 7) {
                Err(AppError::BadUserInput { field, message }) => {
                    assert_eq!(field, "n");
                    assert_eq!(message, "n must be 1-10");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn url_needs_scheme_and_host() {
        assert!(url("u", "https://example.com/x").is_ok());
        assert!(url("u", "ftp://example.com").is_err());
        assert!(url("u", "https://").is_err());
        assert!(url("u", "javascript:alert(1)").is_err());
    }
}
