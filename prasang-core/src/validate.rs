//! Field checks shared by every module: one wording for one kind of mistake.

use std::fmt;

use crate::limits::Limit;

/// One input field was unacceptable; the message tells the user how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's name as the caller spelled it (`title`, `capacity`, ...).
    pub field: &'static str,
    /// What is wrong, in words the user can act on.
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, message: impl fmt::Display) -> Self {
        FieldError {
            field,
            message: message.to_string(),
        }
    }
}

/// Trims `value` and checks its length in characters lies within `limit` and it has no control
/// characters (newlines allowed only when `multiline`).
pub(crate) fn text(limit: &Limit, value: &str, multiline: bool) -> Result<String, FieldError> {
    let (field, min, max) = (limit.field, limit.min as usize, limit.max as usize);
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length < min {
        return Err(if min == 1 {
            FieldError::new(field, "must not be empty")
        } else {
            FieldError::new(field, format!("must be at least {min} characters"))
        });
    }
    if length > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    let forbidden =
        |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t'));
    if trimmed.chars().any(forbidden) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Checks an integer lies within `limit` and converts it to the stored type.
pub(crate) fn in_range<T: TryFrom<i64>>(limit: &Limit, value: i64) -> Result<T, FieldError> {
    let (field, min, max) = (limit.field, limit.min, limit.max);
    if value < min || value > max {
        return Err(FieldError::new(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    T::try_from(value).map_err(|_| FieldError::new(field, "is out of range"))
}

/// Lower-cases and trims an e-mail address and checks its shape (no delivery check).
pub(crate) fn email(value: &str) -> Result<String, FieldError> {
    let normalised = value.trim().to_lowercase();
    let invalid = || FieldError::new("email", "must be an e-mail address such as ada@example.org");
    if normalised.is_empty() || normalised.len() > 254 {
        return Err(invalid());
    }
    let (local, domain) = normalised.split_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !domain.contains("..");
    if local.is_empty()
        || local.len() > 64
        || !domain_ok
        || normalised
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    Ok(normalised)
}

/// Checks an absolute http(s) URL of sensible length.
pub(crate) fn url(field: &'static str, value: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let has_scheme = trimmed.starts_with("https://") || trimmed.starts_with("http://");
    let host_part = trimmed
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or("");
    if !has_scheme || host_part.is_empty() || trimmed.len() > 2048 {
        return Err(FieldError::new(
            field,
            "must be an http(s) URL of at most 2048 characters",
        ));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new(field, "must not contain spaces"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            email("  Ada@Example.ORG ").as_deref(),
            Ok("ada@example.org")
        );
        for bad in [
            "",
            "ada",
            "@example.org",
            "ada@",
            "ada@example",
            "a b@example.org",
            "ada@@x.org",
        ] {
            assert!(email(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        let title = Limit {
            field: "title",
            min: 1,
            max: 3,
        };
        assert!(text(&title, "ééé", false).is_ok());
        assert!(text(&title, "éééé", false).is_err());
        assert!(text(&title, "   ", false).is_err());
        assert!(text(&title, "a\nb", false).is_err());
        assert!(text(&title, "a\nb", true).is_ok());
    }
}
