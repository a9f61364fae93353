//! Shared by the `plugin_*` integration tests: manifests and hand-written components. The built
//! plugins folder, the sample notification and the in-test HTTP and SMTP servers are in the
//! shared test kit, the `prasang-test-sinks` crate.
#![allow(dead_code)]

use prasang_core::notify::Notification;
use prasang_core::plugin_host::{HostServices, Manifest, PluginHost};
pub use prasang_test_sinks::plugins::plugins_dir;

/// A plugin host whose e-mail goes to an outbox in a fresh temporary folder; keep the folder
/// (the first of the pair) for as long as the host.
pub fn outbox_host() -> (tempfile::TempDir, PluginHost) {
    let outbox = tempfile::tempdir().unwrap();
    let host = PluginHost::new(HostServices::outbox(outbox.path())).unwrap();
    (outbox, host)
}

/// A bundled plugin's manifest, ready to adjust (config, allowed hosts) before loading.
pub fn manifest(id: &str) -> Manifest {
    Manifest::from_file(&plugins_dir().join(format!("{id}.toml"))).unwrap()
}

/// The kit's booked-ticket notification (a concert on 1 Dec 2026, 18:30–21:00 UTC), as log
/// entry 42 makes it for `channel`.
pub fn booked(channel: &str) -> Notification {
    prasang_test_sinks::sample::booked(42, channel)
}

/// `tests/fixtures/plugins/<name>.wat` (a core module exporting `deliver` by hand) as a
/// prasang:channel@0.1.0 component.
pub fn wat_component(name: &str) -> Vec<u8> {
    prasang_test_sinks::plugins::wat_component(name).unwrap()
}

/// [`wat_component`] as a prasang:channel@`<version>` component.
pub fn wat_component_at(name: &str, version: &str) -> Vec<u8> {
    prasang_test_sinks::plugins::wat_component_at(name, version).unwrap()
}

/// A manifest for a test plugin.
pub fn test_manifest(id: &str) -> Manifest {
    test_manifest_at(id, "0.1.0")
}

/// A manifest for a test plugin built against prasang:channel@`api`.
pub fn test_manifest_at(id: &str, api: &str) -> Manifest {
    Manifest::parse(
        &format!("id = \"{id}\"\nversion = \"0.0.1\"\napi = \"{api}\"\n"),
        format!("{id}.wasm").into(),
    )
    .unwrap()
}
