//! Access tokens: arbitrary bytes as a token, and arbitrary JSON claims signed with the store's
//! real key. The store has no users, so nothing may verify; nothing may panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use prasang_core::{Config, Prasang};

static STORE: LazyLock<(Prasang, jsonwebtoken::EncodingKey)> = LazyLock::new(|| {
    let prasang = Prasang::open(Config::temporary().background_tasks(false)).unwrap();
    let der = std::fs::read(prasang.data_dir().join("keys/jwt-ed25519.pk8")).unwrap();
    (prasang, jsonwebtoken::EncodingKey::from_ed_der(&der))
});

fuzz_target!(|data: &[u8]| {
    let (prasang, key) = &*STORE;
    if let Ok(token) = std::str::from_utf8(data) {
        assert!(prasang.auth().verify(token).is_err());
    }
    if let Ok(claims) = serde_json::from_slice::<serde_json::Value>(data) {
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        if let Ok(token) = jsonwebtoken::encode(&header, &claims, key) {
            assert!(prasang.auth().verify(&token).is_err(), "{claims}");
        }
    }
});
