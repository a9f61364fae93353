//! Property tests over arbitrary input for what parses untrusted bytes in the core: ids, times,
//! report names, access tokens (garbage and arbitrary claims signed with the real key) and
//! plugin manifests. Each must give a typed error or a sound value, never a panic. (CI runs
//! these; the longer coverage-guided runs are the cargo-fuzz targets in fuzz/.)

use std::str::FromStr;

use prasang_core::analytics::ReportName;
use prasang_core::{Config, EventId, Prasang, TicketId, Timestamp, UserId};
use proptest::prelude::*;

/// Any text: mostly ASCII near the grammar, sometimes arbitrary Unicode.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9A-Za-z~_.:+-]{0,40}",
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ]
}

fn id_round_trips<T: FromStr + ToString>(text: &str) -> Result<(), TestCaseError> {
    if let Ok(id) = T::from_str(text) {
        // Only canonical ids are accepted, up to case and Crockford's look-alike digits.
        prop_assert_eq!(id.to_string().len(), 26);
        prop_assert!(T::from_str(&id.to_string()).is_ok());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn ids_parse_or_refuse(text in prop_oneof![text(), "[0-9A-Z]{26}", "[8-9A-Z][0-9A-Z]{25}"]) {
        id_round_trips::<EventId>(&text)?;
        id_round_trips::<TicketId>(&text)?;
        id_round_trips::<UserId>(&text)?;
        if text.len() == 26 && !text.starts_with(|c: char| ('0'..='7').contains(&c)) {
            prop_assert!(EventId::from_str(&text).is_err(), "beyond the ULID range: {}", text);
        }
    }

    #[test]
    fn times_parse_or_refuse(text in prop_oneof![text(), "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})"]) {
        if let Some(at) = Timestamp::parse_rfc3339(&text) {
            // What parses, prints and parses back to the same instant.
            let printed = serde_json::to_value(at).unwrap();
            let again: Timestamp = serde_json::from_value(printed).unwrap();
            prop_assert_eq!(again, at);
        }
    }

    #[test]
    fn report_names_parse_or_refuse(text in text()) {
        if let Ok(report) = ReportName::parse(&text) {
            prop_assert_eq!(ReportName::parse(report.as_str()).ok(), Some(report));
        }
    }
}

/// A store and its signing key (the DER in `keys/`), to sign arbitrary claims with.
fn store_and_key() -> (Prasang, jsonwebtoken::EncodingKey) {
    let prasang = Prasang::open(Config::temporary().background_tasks(false)).unwrap();
    let der = std::fs::read(prasang.data_dir().join("keys/jwt-ed25519.pk8")).unwrap();
    (prasang, jsonwebtoken::EncodingKey::from_ed_der(&der))
}

/// Claims objects: the right field names with values of any JSON shape, plus stray fields.
fn claims() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        text().prop_map(serde_json::Value::from),
        "[0-7][0-9A-Z]{25}".prop_map(serde_json::Value::from),
        prop_oneof![Just("attendee"), Just("organizer"), Just("admin")]
            .prop_map(serde_json::Value::from),
    ];
    let field = prop_oneof![
        Just("sub"),
        Just("role"),
        Just("exp"),
        Just("iat"),
        Just("nbf"),
        Just("jti"),
        Just("iss"),
        Just("sid"),
        Just("gen"),
        Just("extra"),
    ];
    proptest::collection::btree_map(field, leaf, 0..10)
        .prop_map(|map| map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn garbage_tokens_are_refused(token in prop_oneof![
        text(),
        "[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,90}",
    ]) {
        let (prasang, _) = store_and_key();
        prop_assert!(prasang.auth().verify(&token).is_err());
    }

    #[test]
    fn arbitrary_claims_signed_with_the_real_key_never_make_an_actor(claims in claims()) {
        // No user exists in this store, so no signed claims, however shaped, may pass.
        let (prasang, key) = store_and_key();
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
        prop_assert!(prasang.auth().verify(&token).is_err(), "{}", claims);
    }
}

#[cfg(feature = "plugins")]
proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn plugin_manifests_parse_or_refuse(manifest in prop_oneof![
        text(),
        // Near the real shape: key = value lines with keys the host knows.
        proptest::collection::vec(
            ("(id|version|api|component|allowed-hosts|x|\\[config\\]\n[a-z]{1,5})",
             prop_oneof![
                 "\"[ -~]{0,20}\"".boxed(),
                 "-?[0-9]{1,20}".boxed(),
                 "\\[(\"[a-z.:0-9]{0,12}\", ?){0,3}\\]".boxed(),
                 text().prop_map(|t| format!("{t:?}")).boxed(),
             ]),
            0..8,
        ).prop_map(|lines| lines.iter().map(|(k, v)| format!("{k} = {v}\n")).collect()),
    ]) {
        let parsed = prasang_core::plugin_host::Manifest::parse(&manifest, "plugin.wasm".into());
        if let Ok(parsed) = parsed {
            let id_ok = parsed.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            prop_assert!(!parsed.id.is_empty() && parsed.id.len() <= 64 && id_ok, "{:?}", manifest);
        }
    }
}
