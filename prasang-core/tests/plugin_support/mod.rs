//! Shared by the `plugin_*` integration tests: manifests and hand-written components. The built
//! plugins folder, the sample notification and the in-test HTTP and SMTP servers are in the
//! shared test kit, the `prasang-test-sinks` crate.
#![allow(dead_code)]

use std::path::Path;

use prasang_core::notify::Notification;
use prasang_core::plugin_host::Manifest;
pub use prasang_test_sinks::plugins::plugins_dir;

/// A bundled plugin's manifest, ready to adjust (config, allowed hosts) before loading.
pub fn manifest(id: &str) -> Manifest {
    Manifest::from_file(&plugins_dir().join(format!("{id}.toml"))).unwrap()
}

/// The kit's booked-ticket notification (a concert on 1 Dec 2026, 18:30–21:00 UTC), as log
/// entry 42 makes it for `channel`.
pub fn booked(channel: &str) -> Notification {
    prasang_test_sinks::sample::booked(42, channel)
}

/// Turns `tests/fixtures/plugins/<name>.wat` (a core module exporting `deliver` by hand) into a
/// prasang:channel@0.1.0 component.
pub fn wat_component(name: &str) -> Vec<u8> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins");
    let mut module = wat::parse_file(fixtures.join(format!("{name}.wat"))).unwrap();
    let mut resolve = wit_parser::Resolve::default();
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/wit/0.1.0");
    let (package, _) = resolve.push_dir(wit).unwrap();
    let world = resolve.select_world(&[package], Some("channel")).unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

/// A manifest for a test plugin.
pub fn test_manifest(id: &str) -> Manifest {
    Manifest::parse(
        &format!("id = \"{id}\"\nversion = \"0.0.1\"\napi = \"0.1.0\"\n"),
        format!("{id}.wasm").into(),
    )
    .unwrap()
}
