//! Plugin manifests from arbitrary bytes: a typed error or a manifest with a valid id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prasang_core::plugin_host::Manifest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(manifest) = Manifest::parse(text, "plugin.wasm".into()) {
        assert!(!manifest.id.is_empty() && manifest.id.len() <= 64);
        assert!(
            manifest
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        );
    }
});
