//! Shared by the `plugin_*` integration tests: the built plugins and sample notifications. The
//! in-test HTTP and SMTP servers are in the `prasang-test-sinks` crate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use prasang_core::events::EventStatus;
use prasang_core::notify::{
    EventSummary, Notification, NotificationKind, Recipient, TicketSummary,
};
use prasang_core::plugin_host::Manifest;
use prasang_core::tickets::TicketStatus;
use prasang_core::{EventId, TicketId, Timestamp, UserId};

/// The workspace's target folder.
pub fn target_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// The folder with the bundled plugins' components and manifests.
///
/// `PRASANG_PLUGINS_DIR` names a folder built beforehand (CI runs `plugins/build.sh`). Without
/// it, the first test in each test binary runs `cargo run -p prasang-plugin-build`, which is a
/// quick no-op when nothing changed, so the tests never load stale plugins.
pub fn plugins_dir() -> PathBuf {
    built().join("plugins")
}

/// The folder with the example plugins (`examples/*` with a `plugin.toml`).
pub fn example_plugins_dir() -> PathBuf {
    built().join("plugins-examples")
}

fn built() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(dir) = std::env::var_os("PRASANG_PLUGINS_DIR") {
                let dir = PathBuf::from(dir);
                return dir.parent().map(Path::to_path_buf).unwrap_or(dir);
            }
            let target = target_dir();
            std::fs::create_dir_all(&target).unwrap();
            // Test binaries may run in parallel (nextest); build one at a time.
            let lock = std::fs::File::create(target.join(".prasang-plugin-build.lock")).unwrap();
            lock.lock().unwrap();
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = Command::new(cargo)
                .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
                .args(["run", "--quiet", "-p", "prasang-plugin-build"])
                .status()
                .expect("running cargo to build the plugins");
            assert!(
                status.success(),
                "building the plugins failed; run `plugins/build.sh` to see why"
            );
            target
        })
        .clone()
}

/// A bundled plugin's manifest, ready to adjust (config, allowed hosts) before loading.
pub fn manifest(id: &str) -> Manifest {
    Manifest::from_file(&plugins_dir().join(format!("{id}.toml"))).unwrap()
}

/// A booked-ticket notification for a concert on 1 Dec 2026, 18:30–21:00 UTC.
pub fn booked(channel: &str) -> Notification {
    let user: UserId = "01JBQ8ZK3N2V4W6X8Y0A2C4E6G".parse().unwrap();
    Notification {
        idempotency_key: format!("42.{user}.{channel}"),
        kind: NotificationKind::TicketBooked,
        log_seq: 42,
        occurred_at: Timestamp::from_millis(1_796_000_000_000),
        recipient: Recipient {
            user_id: user,
            name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
        },
        event: EventSummary {
            id: "01JBQ8ZK3N2V4W6X8Y0A2C4E6H".parse::<EventId>().unwrap(),
            title: "Rust & Wasm Night".into(),
            description: "Talks about plugins, then music.".into(),
            location: "Hall 1, Pune".into(),
            starts_at: Timestamp::from_millis(1_796_149_800_000),
            ends_at: Timestamp::from_millis(1_796_158_800_000),
            status: EventStatus::Published,
            price_minor: 50_000,
            currency: "INR".into(),
        },
        ticket: Some(TicketSummary {
            id: "01JBQ8ZK3N2V4W6X8Y0A2C4E6J".parse::<TicketId>().unwrap(),
            quantity: 2,
            status: TicketStatus::Booked,
            amount_minor: 100_000,
            expires_at: None,
        }),
        changed: Vec::new(),
        message: None,
    }
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
