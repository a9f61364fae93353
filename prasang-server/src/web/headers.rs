//! The security headers every page carries.

use hyper::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderMap, HeaderValue, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};

/// No script at all (the UI has none), styles and images only from this server, forms only
/// to this server, never framed.
pub(crate) const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; style-src 'self'; \
    img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a booking widget page: the same, framed only by `origins` (an organizer's
/// venue sites, checked by the core to be bare `scheme://host[:port]` origins, so safe to put in
/// the header as they are); no origin listed: framed by nobody.
pub(crate) fn widget_policy(origins: &[String]) -> Option<HeaderValue> {
    let ancestors = if origins.is_empty() {
        "'none'".to_owned()
    } else {
        origins.join(" ")
    };
    HeaderValue::from_str(&CONTENT_SECURITY_POLICY_VALUE.replace(
        "frame-ancestors 'none'",
        &format!("frame-ancestors {ancestors}"),
    ))
    .ok()
}

/// Adds the security headers (keeping a `Cache-Control` the page chose, and a stricter
/// `Referrer-Policy`). Only a page the table marks `framable` keeps its own
/// `Content-Security-Policy` (from [`widget_policy`]) and goes without `X-Frame-Options`; any
/// other answer is never framed, whatever it set.
pub(crate) fn secure(headers: &mut HeaderMap, framable: bool) {
    if !(framable && headers.contains_key(CONTENT_SECURITY_POLICY)) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
        );
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // `same-origin` also on the sign-in link's page, whose address holds the token: no other
    // site ever sees it, and `no-referrer` would make Chromium send `Origin: null` with the
    // page's own form, which the CSRF check refuses.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(CACHE_CONTROL) {
        // Pages show the signed-in user's data: no shared or back-button caching.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_framable_page_keeps_its_own_framing() {
        let policy = widget_policy(&[
            "https://venue.example".into(),
            "http://localhost:8000".into(),
        ])
        .expect("a valid header");
        let mut framed = HeaderMap::new();
        framed.insert(CONTENT_SECURITY_POLICY, policy.clone());
        secure(&mut framed, true);
        assert_eq!(framed.get(CONTENT_SECURITY_POLICY), Some(&policy));
        assert!(!framed.contains_key(X_FRAME_OPTIONS));
        assert!(
            policy
                .to_str()
                .unwrap()
                .contains("frame-ancestors https://venue.example http://localhost:8000;")
        );
        let mut other = HeaderMap::new();
        other.insert(CONTENT_SECURITY_POLICY, policy);
        secure(&mut other, false);
        assert_eq!(
            other.get(CONTENT_SECURITY_POLICY).unwrap(),
            CONTENT_SECURITY_POLICY_VALUE
        );
        assert_eq!(other.get(X_FRAME_OPTIONS).unwrap(), "DENY");
        assert!(
            widget_policy(&[])
                .unwrap()
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }
}
