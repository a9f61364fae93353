//! Pieces of the SIGKILL crash tests: what the killed child does, and how the parent reads back
//! what survived.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prasang_core::events::NewEvent;
use prasang_core::log::LogEntry;
use prasang_core::notify::Delivery;
use prasang_core::users::Role;
use prasang_core::{EventId, PageRequest, Prasang, Timestamp, UserId};

/// A command that runs the ignored test `name` of this test binary, alone, as a child process
/// (the child a crash test kills, or a second process opening the same store).
pub fn child_test(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command.args([name, "--exact", "--ignored", "--nocapture"]);
    command
}

/// Runs the ignored test `name` as a child with `env` set to the store folder `dir`, hands each
/// line it prints to `record` (which returns how many acknowledgements the line holds) until
/// `kill_after_acks`, kills it with SIGKILL, then hands over the lines already in the pipe too:
/// they were acknowledged before the kill.
pub fn run_child_and_kill(
    name: &str,
    env: &str,
    dir: &Path,
    kill_after_acks: usize,
    mut record: impl FnMut(&str) -> usize,
) {
    let mut child = child_test(name)
        .arg("--test-threads=1")
        .env(env, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut acks = 0;
    while acks < kill_after_acks {
        let Some(Ok(line)) = lines.next() else {
            panic!("child exited early after {acks} acknowledgements");
        };
        acks += record(&line);
    }
    child.kill().expect("SIGKILL the child");
    for line in lines.map_while(Result::ok) {
        record(&line);
    }
    let _ = child.wait();
}

/// A free event with room for everyone, starting a year from the real "now" (the child runs on
/// the system clock).
pub fn event_next_year() -> NewEvent {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let starts_at = Timestamp::from_millis(now + 365 * 24 * 3600 * 1000);
    NewEvent {
        starts_at: starts_at.into(),
        ends_at: starts_at.plus(Duration::from_secs(3600)).into(),
        time_zone: None,
        ..super::new_event(1_000_000, 0, 1)
    }
}

/// Registers an organizer and creates an event, then registers `guests` guests (or never stops
/// when `None`) who each book one seat. Names carry `tag`, so several runs can share a store.
pub fn book_guests(prasang: &Prasang, tag: &str, guests: Option<u64>) {
    let organizer = super::register_actor(prasang, &format!("Olga {tag}"), Role::Organizer);
    let event = prasang
        .events()
        .create(&organizer, event_next_year())
        .expect("event");
    for i in (0u64..).take_while(|i| guests.is_none_or(|n| *i < n)) {
        let actor = super::register_actor(prasang, &format!("Guest {tag} {i}"), Role::Attendee);
        super::book(prasang, &actor, event.id, 1);
    }
}

/// The whole event log, in order.
pub fn log_entries(prasang: &Prasang) -> Vec<LogEntry> {
    let mut all = Vec::new();
    loop {
        let from = all.last().map_or(0, |last: &LogEntry| last.seq + 1);
        let entries = prasang
            .log()
            .read(&prasang.auth().system_actor(), from, 1000)
            .expect("read log");
        if entries.is_empty() {
            return all;
        }
        all.extend(entries);
    }
}

/// Every delivery about `event`, as its organizer lists them.
pub fn event_deliveries(prasang: &Prasang, organizer: UserId, event: EventId) -> Vec<Delivery> {
    let organizer = prasang
        .auth()
        .trusted_actor(organizer)
        .expect("the organizer exists");
    let mut page = PageRequest::first(100);
    let mut all = Vec::new();
    loop {
        let deliveries = prasang
            .notifications()
            .deliveries_for_event(&organizer, event, &page)
            .expect("list deliveries");
        all.extend(deliveries.items);
        match deliveries.next {
            Some(next) => page.after = Some(next),
            None => return all,
        }
    }
}
