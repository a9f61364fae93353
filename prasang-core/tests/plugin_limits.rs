//! Misbehaving plugins fail only their own delivery: endless loops meet the deadline, memory
//! hogs meet the cap, traps and malformed answers become temporary failures, and the host keeps
//! serving other deliveries (and the store its bookings) meanwhile.
#![cfg(feature = "plugins")]

mod common;
mod plugin_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::World;
use plugin_support::{booked, test_manifest, wat_component};
use prasang_core::PageRequest;
use prasang_core::notify::{Channel, DeliveryError, DeliveryPolicy, DeliveryStatus};
use prasang_core::plugin_host::{HostServices, Limits, PluginChannel, PluginHost, PluginLoadError};
use prasang_core::tickets::BookingRequest;
use prasang_core::users::Role;

fn host(limits: Limits) -> (PluginHost, tempfile::TempDir) {
    let outbox = tempfile::tempdir().unwrap();
    let host = PluginHost::with_limits(HostServices::outbox(outbox.path()), limits).unwrap();
    (host, outbox)
}

/// [`host`] with the default limits but a CPU time of `ms` milliseconds per call.
fn host_with_cpu_time(ms: u64) -> (PluginHost, tempfile::TempDir) {
    host(Limits {
        cpu_time: Duration::from_millis(ms),
        ..Limits::default()
    })
}

fn load(host: &PluginHost, fixture: &str) -> Arc<PluginChannel> {
    host.load_bytes(
        test_manifest(&fixture.replace('_', "-")),
        &wat_component(fixture),
    )
    .unwrap()
}

fn temporary_reason(result: Result<impl std::fmt::Debug, DeliveryError>) -> String {
    match result {
        Err(DeliveryError::Temporary(why)) => why,
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

#[test]
fn a_well_behaved_fixture_delivers() {
    let (host, _outbox) = host(Limits::default());
    let ok = load(&host, "ok");
    let receipt = ok.deliver(&booked("ok")).unwrap();
    assert_eq!(receipt.detail, "");
}

#[test]
fn an_endless_loop_is_stopped_within_its_deadline() {
    let (host, _outbox) = host_with_cpu_time(100);
    let endless = load(&host, "endless_loop");
    let started = Instant::now();
    let why = temporary_reason(endless.deliver(&booked("endless-loop")));
    let took = started.elapsed();
    assert!(
        why.contains("endless-loop") && why.contains("deadline"),
        "{why}"
    );
    assert!(
        took >= Duration::from_millis(100),
        "stopped early: {took:?}"
    );
    assert!(took < Duration::from_millis(600), "stopped late: {took:?}");
}

#[test]
fn a_memory_hog_hits_the_cap() {
    let limits = Limits {
        memory_bytes: 4 << 20,
        ..Limits::default()
    };
    let (host, _outbox) = host(limits);
    let hog = load(&host, "memory_hog");
    let started = Instant::now();
    let why = temporary_reason(hog.deliver(&booked("memory-hog")));
    assert!(
        why.contains("memory-hog") && why.contains("memory"),
        "{why}"
    );
    assert!(
        !why.contains("deadline"),
        "should hit the cap, not the clock: {why}"
    );
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[test]
fn a_trap_fails_only_its_own_delivery() {
    let (host, _outbox) = host(Limits::default());
    let trap = load(&host, "trap");
    let ok = load(&host, "ok");
    for _ in 0..3 {
        // Each call gets a fresh instance, so a trap never poisons the next call.
        let why = temporary_reason(trap.deliver(&booked("trap")));
        assert!(why.contains("plugin `trap` failed"), "{why}");
        ok.deliver(&booked("ok")).unwrap();
    }
}

#[test]
fn a_malformed_answer_is_a_temporary_failure() {
    let (host, _outbox) = host(Limits::default());
    let bad = load(&host, "bad_output");
    let why = temporary_reason(bad.deliver(&booked("bad-output")));
    assert!(why.contains("bad-output"), "{why}");
}

#[test]
fn the_host_keeps_serving_while_a_plugin_spins() {
    let (host, _outbox) = host_with_cpu_time(400);
    let endless = load(&host, "endless_loop");
    let hog = load(&host, "memory_hog");
    let ok = load(&host, "ok");
    let spinners: Vec<_> = [endless, hog]
        .into_iter()
        .map(|plugin| {
            std::thread::spawn(move || {
                for _ in 0..2 {
                    assert!(plugin.deliver(&booked("bad")).is_err());
                }
            })
        })
        .collect();
    let started = Instant::now();
    let mut served = 0;
    while started.elapsed() < Duration::from_millis(300) {
        ok.deliver(&booked("ok")).unwrap();
        served += 1;
    }
    for spinner in spinners {
        spinner.join().unwrap();
    }
    assert!(served > 50, "only {served} deliveries while a plugin spun");
}

#[test]
fn bad_plugins_in_a_folder_are_reported_and_skipped() {
    let folder = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(folder.path().join(name), text).unwrap();
    std::fs::write(folder.path().join("good.wasm"), wat_component("ok")).unwrap();
    write(
        "good.toml",
        "id = \"good\"\nversion = \"1.0.0\"\napi = \"0.1.0\"\n",
    );
    std::fs::write(folder.path().join("future.wasm"), wat_component("ok")).unwrap();
    write(
        "future.toml",
        "id = \"future\"\nversion = \"1.0.0\"\napi = \"0.4.0\"\n",
    );
    write("garbage.wasm", "this is not wasm");
    write(
        "garbage.toml",
        "id = \"garbage\"\nversion = \"1.0.0\"\napi = \"0.1.0\"\n",
    );
    write(
        "missing.toml",
        "id = \"missing\"\nversion = \"1.0.0\"\napi = \"0.1.0\"\n",
    );
    write("broken.toml", "id = \"broken\"\nthis is not toml");
    write(
        "twin.toml",
        "id = \"good\"\nversion = \"1.0.0\"\napi = \"0.1.0\"\ncomponent = \"good.wasm\"\n",
    );

    let (host, _outbox) = host(Limits::default());
    let loaded = host.load_dir(folder.path()).unwrap();
    let ids: Vec<_> = loaded.plugins.iter().map(|p| p.id().to_owned()).collect();
    assert_eq!(ids, ["good"]);
    assert_eq!(loaded.channels().len(), 1);

    let skipped = |name: &str| {
        &loaded
            .skipped
            .iter()
            .find(|s| s.path.file_name().unwrap() == name)
            .unwrap_or_else(|| panic!("{name} not reported: {:?}", loaded.skipped))
            .error
    };
    assert_eq!(loaded.skipped.len(), 5, "{:?}", loaded.skipped);
    assert!(matches!(
        skipped("future.toml"),
        PluginLoadError::UnsupportedApi { api, .. } if api == "0.4.0"
    ));
    assert!(
        matches!(skipped("garbage.toml"), PluginLoadError::Invalid { id, .. } if id == "garbage")
    );
    assert!(matches!(
        skipped("missing.toml"),
        PluginLoadError::Io { .. }
    ));
    assert!(matches!(
        skipped("broken.toml"),
        PluginLoadError::Manifest(_)
    ));
    assert!(matches!(skipped("twin.toml"), PluginLoadError::DuplicateId(id) if id == "good"));

    // The survivor works.
    loaded.plugins[0].deliver(&booked("good")).unwrap();
}

#[test]
fn bookings_go_on_while_a_plugin_channel_spins() {
    let (host, _outbox) = host_with_cpu_time(200);
    let world = World::with(|config| {
        config
            .channel(load(&host, "endless_loop"))
            .channel(load(&host, "ok"))
            .background_tasks(true)
            .delivery_policy(DeliveryPolicy {
                workers_per_channel: 1,
                default_channels: vec!["endless-loop".into(), "ok".into()],
                ..DeliveryPolicy::default()
            })
    });
    let organizer = world.user("Olga", Role::Organizer);
    let event = world.event(&organizer, 100, 0, 1);
    let attendees: Vec<_> = (0..12)
        .map(|n| world.user(&format!("Guest {n}"), Role::Attendee))
        .collect();
    for attendee in &attendees {
        let request = BookingRequest {
            pass: None,
            attendee_names: Default::default(),
            event: event.id,
            quantity: 1,
            idempotency_key: None,
            lines: Vec::new(),
            promo_code: None,
        };
        world.prasang.tickets().book(attendee, &request).unwrap();
    }

    // Twelve spins of 200 ms each hold the endless-loop channel for 2.4 s; the well-behaved
    // channel delivers all twelve meanwhile, and the spinner's deliveries wait for a retry.
    // Listed as an admin: only admins read why a delivery failed.
    let admin = world.prasang.auth().system_actor();
    let deadline = Instant::now() + Duration::from_secs(30);
    let by_channel = loop {
        let deliveries = world
            .prasang
            .notifications()
            .deliveries_for_event(&admin, event.id, &PageRequest::first(100))
            .unwrap()
            .items;
        let count = |channel: &str, status: DeliveryStatus| {
            deliveries
                .iter()
                .filter(|d| d.channel == channel && d.status == status)
                .count()
        };
        let settled = count("ok", DeliveryStatus::Sent) == attendees.len()
            && count("endless-loop", DeliveryStatus::Retrying) > 0;
        if settled || Instant::now() > deadline {
            break deliveries;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status_of = |channel: &str| -> Vec<DeliveryStatus> {
        let mut statuses: Vec<_> = by_channel
            .iter()
            .filter(|d| d.channel == channel)
            .map(|d| d.status)
            .collect();
        statuses.dedup();
        statuses
    };
    assert_eq!(status_of("ok"), [DeliveryStatus::Sent]);
    let spinner = by_channel
        .iter()
        .find(|d| d.channel == "endless-loop" && d.status == DeliveryStatus::Retrying)
        .expect("a spinning delivery waits for its retry");
    let why = spinner.last_error.as_deref().unwrap_or_default();
    assert!(why.contains("endless-loop"), "{why}");
}
