//! An organizer's message reaches each recipient once even if the process dies in the middle of
//! its fan-out: the test writes a message to 400 holders, starts a child process that opens the
//! store and delivers through a channel appending each idempotency key to a file (fsync'd),
//! SIGKILLs it part-way, reopens the store and lets the dispatcher finish. Every holder must have
//! been told, each once, but for the deliveries in flight at the kill, which repeat once with
//! the same key (the channel's receiver drops those by key).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::file_channel::{CHANNEL, WORKERS, config, key_lines};
use prasang_core::Prasang;
use prasang_core::messages::{ChannelCounts, MessageDraft, Segment};
use prasang_core::notify::{EventNotificationSettings, NotificationKind};
use prasang_core::users::Role;

const CHILD_ENV: &str = "PRASANG_MESSAGES_CRASH_DIR";
const HOLDERS: usize = 400;

/// The child: opens the store and lets its background workers deliver until it is killed.
#[test]
#[ignore = "started by a_message_reaches_each_holder_once_across_a_crash_mid_fan_out"]
fn crash_child_delivers_until_killed() {
    let Some(dir) = std::env::var_os(CHILD_ENV).map(PathBuf::from) else {
        return;
    };
    let _prasang = Prasang::open(config(&dir, true)).expect("child opens");
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

#[test]
fn a_message_reaches_each_holder_once_across_a_crash_mid_fan_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys_path = dir.path().join("keys.txt");

    // The holders book with booking notifications off, then the organizer writes to them all;
    // nothing is dispatched before the child runs.
    let (organizer, event, holders, message) = {
        let prasang = Prasang::open(config(dir.path(), false)).expect("open");
        let organizer = common::register_actor(&prasang, "Olga", Role::Organizer);
        let event = prasang
            .events()
            .create(&organizer, common::crash::event_next_year())
            .expect("event");
        let quiet = EventNotificationSettings {
            disabled_kinds: vec![NotificationKind::TicketBooked],
            extra_channels: Vec::new(),
        };
        prasang
            .notifications()
            .set_event_settings(&organizer, event.id, quiet)
            .expect("settings");
        let mut holders = Vec::new();
        for i in 0..HOLDERS {
            let holder = common::register_actor(&prasang, &format!("Guest {i}"), Role::Attendee);
            common::book(&prasang, &holder, event.id, 1);
            holders.push(holder.user_id());
        }
        let draft = MessageDraft {
            subject: "Doors open later".into(),
            body: "Doors open at 19:00.".into(),
            segment: Segment::AllHolders,
        };
        let message = prasang.messages().send(&organizer, event.id, draft);
        (
            organizer.user_id(),
            event.id,
            holders,
            message.expect("sent"),
        )
    };
    let expected: Vec<String> = holders
        .iter()
        .map(|user| format!("{}.{user}.{CHANNEL}", message.id))
        .collect();

    let mut child = common::crash::child_test("crash_child_delivers_until_killed")
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("start child");
    let deadline = Instant::now() + Duration::from_secs(120);
    while key_lines(&keys_path).len() < HOLDERS / 4 {
        if let Some(status) = child.try_wait().expect("poll child") {
            panic!("the child stopped on its own: {status}");
        }
        assert!(Instant::now() < deadline, "the child delivered too little");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let delivered_before = key_lines(&keys_path).len();
    assert!(
        delivered_before < HOLDERS,
        "killed after the fan-out ended ({delivered_before} delivered): nothing was tested"
    );

    let prasang = Prasang::open(config(dir.path(), false)).expect("reopen after the crash");
    while {
        let report = prasang.run_notifications_once().expect("dispatch");
        report.created + report.sent + report.retrying > 0
    } {}

    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for key in key_lines(&keys_path) {
        *seen.entry(key).or_default() += 1;
    }
    let missing: Vec<_> = expected.iter().filter(|k| !seen.contains_key(*k)).collect();
    assert!(missing.is_empty(), "never told: {missing:?}");
    assert_eq!(seen.len(), HOLDERS, "told no one else: {seen:?}");
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.len() <= WORKERS && repeated.iter().all(|(_, n)| **n == 2),
        "only the {WORKERS} deliveries in flight may repeat, once: {repeated:?}"
    );

    let organizer = prasang.auth().trusted_actor(organizer).expect("organizer");
    let report = prasang.messages().report(&organizer, event, message.id);
    let report = report.expect("report");
    assert_eq!(report.message.recipients, Some(HOLDERS as u32));
    assert_eq!(report.unreached, Some(0));
    assert_eq!(
        report.channels,
        [ChannelCounts {
            channel: CHANNEL.into(),
            sent: HOLDERS as u32,
            ..ChannelCounts::default()
        }]
    );
    eprintln!(
        "{delivered_before} of {HOLDERS} delivered before the kill; {} repeated",
        repeated.len()
    );
}
