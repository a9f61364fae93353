//! Free text in notifications (an organizer's subject and message, an event's title) made fit
//! for where it goes: one line, a length limit, a link only where it is a web address. Plugins
//! show such text as text; escaping it for HTML or a chat's markup is the plugin's job.

/// `text` on one line: each run of whitespace and control characters (line breaks included)
/// becomes one space, and the ends are trimmed. For subject lines and SMS.
///
/// ```
/// use prasang_plugin_sdk::text::one_line;
/// assert_eq!(one_line(" Doors\r\nopen\tlater "), "Doors open later");
/// ```
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `text` cut to at most `max` characters, the last of them `…` when it was cut.
///
/// ```
/// use prasang_plugin_sdk::text::shorten;
/// assert_eq!(shorten("Rust & Wasm Night", 9), "Rust & W…");
/// assert_eq!(shorten("Rust", 9), "Rust");
/// ```
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    match max {
        0 => String::new(),
        _ => text.chars().take(max - 1).chain(['…']).collect(),
    }
}

/// `url` if it is an `https://` or `http://` address, fit to be a link; `None` for anything
/// else (a `javascript:` URL, say), which a plugin should show as text if at all.
pub fn web_link(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://");
    (web && !url.chars().any(|c| c.is_whitespace() || c.is_control())).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_are_links() {
        assert!(web_link("https://tickets.example.org/waitlist/1").is_some());
        assert!(web_link("HTTP://tickets.example.org/").is_some());
        assert_eq!(web_link("javascript:alert(1)"), None);
        assert_eq!(
            web_link("https://a.example/\"><b>"),
            Some("https://a.example/\"><b>")
        );
        assert_eq!(web_link("https://a.example/ x"), None);
        assert_eq!(web_link("http"), None);
    }

    #[test]
    fn shortening_counts_characters_not_bytes() {
        assert_eq!(shorten("×××", 3), "×××");
        assert_eq!(shorten("××××", 3), "××…");
        assert_eq!(shorten("abc", 0), "");
        assert_eq!(one_line("\n\n"), "");
    }
}
