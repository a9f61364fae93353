//! Field checks shared by every module: one wording for one kind of mistake.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

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

/// Whether `c` reorders text around it (bidi embeddings, overrides and isolates): in a name or a
/// title it can make text read differently from what it is ("Trojan Source" spoofing).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` shows nothing: zero-width spaces and joiners, the word joiner, a byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Normalises display text to NFC, trims it and checks its length in characters lies within
/// `limit`, that it has no control characters (newlines allowed only when `multiline`) and no
/// bidi controls, and that it is not made of invisible characters alone: what is stored is what
/// a reader sees.
pub(crate) fn text(limit: &Limit, value: &str, multiline: bool) -> Result<String, FieldError> {
    let (field, min, max) = (limit.field, limit.min as usize, limit.max as usize);
    // A character takes at most 4 bytes in UTF-8 (and NFC rarely grows text): refuse a huge
    // value before the work of normalising and counting it.
    if value.len() > max * 4 + 1024 {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    let normalised: String = value.nfc().collect();
    let trimmed = normalised.trim();
    if trimmed.chars().any(is_bidi_control) {
        return Err(FieldError::new(
            field,
            "must not contain text-direction controls (U+202A–U+202E, U+2066–U+2069)",
        ));
    }
    if !trimmed.is_empty()
        && trimmed
            .chars()
            .all(|c| is_invisible(c) || c.is_whitespace())
    {
        return Err(FieldError::new(field, "must contain visible characters"));
    }
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

    #[test]
    fn display_text_is_what_a_reader_sees() {
        let name = Limit {
            field: "name",
            min: 1,
            max: 20,
        };
        // "e" + combining acute becomes the one precomposed "é" (NFC).
        assert_eq!(text(&name, "Rene\u{301}", false).as_deref(), Ok("René"));
        for spoof in [
            "evil\u{202E}gpj.exe",
            "a\u{2066}b\u{2069}",
            "\u{200B}\u{200B}",
            "\u{FEFF}",
        ] {
            let refused = text(&name, spoof, false).unwrap_err();
            assert_eq!(refused.field, "name", "{spoof:?}");
        }
        assert!(
            text(&name, "Zoë\u{200D}x", false).is_ok(),
            "a joiner inside visible text is fine"
        );
    }
}
