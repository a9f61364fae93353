//! Crash safety of e-mail delivery through the real email plugin and a real SMTP conversation.
//!
//! A child process books while its background workers deliver through the email plugin to an SMTP
//! server that lives in this (parent) process, so it outlives the child. Once the server has
//! taken some messages it keeps the next ones without answering them, so the child's workers are
//! stuck mid-delivery: the message has arrived, but the store does not know it. The test SIGKILLs
//! the child right then, reopens the store with the same plugin and server, lets the dispatcher
//! finish, and checks from the server's side that every durable booking's e-mail arrived under
//! the Message-ID its idempotency key gives, each once, except those in flight at the kill, which
//! arrive a second time under the same Message-ID. It does all that twice on the same store.
#![cfg(feature = "plugins")]

mod common;
mod plugin_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use prasang_core::log::DomainEvent;
use prasang_core::notify::{Delivery, DeliveryPolicy, DeliveryStatus};
use prasang_core::plugin_host::{HostServices, PluginHost, SmtpSettings};
use prasang_core::users::PasswordCost;
use prasang_core::{Config, Prasang};
use prasang_test_sinks::smtp::{Received, SmtpSink};

const DIR_ENV: &str = "PRASANG_PLUGIN_CRASH_DIR";
const PORT_ENV: &str = "PRASANG_PLUGIN_CRASH_SMTP_PORT";
const ROUND_ENV: &str = "PRASANG_PLUGIN_CRASH_ROUND";
const SENDER: &str = "Prasang Tickets <tickets@prasang.test>";
/// Deliveries of one channel that can be in flight at once, so at most this many repeat per kill.
const WORKERS: usize = 2;
/// Guests the child books per round; more than it gets to book before the kill.
const GUESTS: u64 = 1000;
/// E-mails of a round the SMTP server answers; it holds back the answers after these.
const ANSWERED: usize = 60;
/// How long the child books on while its e-mails are stuck, so some are still to send after the
/// restart.
const PILE_UP: Duration = Duration::from_millis(100);

fn services(smtp_port: u16) -> HostServices {
    let mut settings = SmtpSettings::new("127.0.0.1", smtp_port);
    settings.timeout = Duration::from_secs(5);
    HostServices::smtp(settings)
        .expect("SMTP settings")
        .with_sender(SENDER)
        .expect("sender")
}

/// The same store, plugin and SMTP server for the child and for the parent after the crash.
fn config(dir: &Path, smtp_port: u16, background: bool) -> Config {
    let host = PluginHost::new(services(smtp_port)).expect("plugin host");
    let email = host
        .load(plugin_support::plugins_dir().join("email.toml"))
        .expect("load the email plugin");
    Config::new(dir.join("data"))
        .password_cost(PasswordCost::INSECURE_FAST)
        .background_tasks(background)
        .channel(email)
        .delivery_policy(DeliveryPolicy {
            default_channels: vec!["email".into()],
            workers_per_channel: WORKERS,
            ..DeliveryPolicy::default()
        })
}

/// The child: books, then lets its workers e-mail until it is killed. Runs only when the parent
/// test starts it.
#[test]
#[ignore = "started by emails_in_flight_at_a_crash_repeat_under_the_same_message_id"]
fn crash_child_books_and_emails_until_killed() {
    let var = |name| std::env::var(name).ok();
    let (Some(dir), Some(port), Some(round)) = (var(DIR_ENV), var(PORT_ENV), var(ROUND_ENV)) else {
        return;
    };
    let port = port.parse().expect("SMTP port");
    let prasang = Prasang::open(config(Path::new(&dir), port, true)).expect("child opens");
    common::crash::book_guests(&prasang, &format!("r{round}"), Some(GUESTS));
    loop {
        std::thread::park();
    }
}

/// When a round's SIGKILL lands.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// While the SMTP server holds back its answers to messages it has taken: every worker is
    /// in the middle of a delivery that arrived but is not recorded.
    WhileAnswersHeld,
    /// Wherever the child happens to be once the server has taken its messages: in a delivery,
    /// recording one, or booking.
    Unannounced,
}

/// Runs the child until the SMTP server has taken [`ANSWERED`] of its messages, then SIGKILLs it.
/// Returns the Message-IDs whose answers were held back at the kill.
fn crash_child(dir: &Path, smtp: &SmtpSink, round: u32, kill: Kill) -> Vec<String> {
    let answered = smtp.count() + ANSWERED;
    if let Kill::WhileAnswersHeld = kill {
        smtp.hold_replies_after(answered);
    }
    let mut child = common::crash::child_test("crash_child_books_and_emails_until_killed")
        .env(DIR_ENV, dir)
        .env(PORT_ENV, smtp.port.to_string())
        .env(ROUND_ENV, round.to_string())
        // The plugins are built already; the child need not ask cargo again.
        .env("PRASANG_PLUGINS_DIR", plugin_support::plugins_dir())
        .stdout(Stdio::null())
        .spawn()
        .expect("start child");

    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.count() <= answered {
        if let Some(status) = child.try_wait().expect("poll child") {
            panic!("the child stopped on its own: {status}");
        }
        assert!(Instant::now() < deadline, "the child sent too few e-mails");
        std::thread::sleep(Duration::from_millis(2));
    }
    let held = match kill {
        Kill::WhileAnswersHeld => {
            // Give every worker a moment to get stuck too, and bookings time to pile up.
            let held = smtp.wait_for_held(WORKERS, Duration::from_secs(1));
            std::thread::sleep(PILE_UP);
            held
        }
        Kill::Unannounced => Vec::new(),
    };
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    smtp.release();
    held.iter().map(message_id).collect()
}

/// The Message-ID header of a received message, in angle brackets.
fn message_id(message: &Received) -> String {
    let parsed = MessageParser::default()
        .parse(&message.data)
        .expect("a parsable message");
    format!("<{}>", parsed.message_id().expect("a Message-ID"))
}

#[test]
fn emails_in_flight_at_a_crash_repeat_under_the_same_message_id() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let smtp = SmtpSink::start();
    let (mut in_flight, mut after_restart, mut repeated) = (Vec::new(), 0, 0);
    let kills = [
        Kill::WhileAnswersHeld,
        Kill::Unannounced,
        Kill::WhileAnswersHeld,
    ];
    for (round, kill) in (1..).zip(kills) {
        in_flight.extend(crash_child(dir.path(), &smtp, round, kill));
        let before_restart = smtp.count();

        // Restart with the same plugin and SMTP server and let the dispatcher finish.
        let prasang = Prasang::open(config(dir.path(), smtp.port, false)).expect("reopen");
        while {
            let report = prasang.run_notifications_once().expect("dispatch");
            report.created + report.sent + report.retrying > 0
        } {}
        after_restart += smtp.count() - before_restart;
        let repeated_before = repeated;
        repeated = check_every_booking_emailed_once(&prasang, &smtp, &in_flight, round);
        assert!(
            repeated - repeated_before <= WORKERS,
            "{kill:?}: {} e-mails repeated, but only {WORKERS} can be in flight",
            repeated - repeated_before
        );
    }
    eprintln!(
        "{} crashes: {} e-mails, {after_restart} sent after a restart, {repeated} of them \
         repeats ({} held back at a kill); {:?} in all",
        kills.len(),
        smtp.count(),
        in_flight.len(),
        started.elapsed()
    );
}

/// After `rounds` crashes: every durable booking, and only those, has its e-mail sent and
/// received under the Message-ID of its idempotency key, once, or twice if it was in flight
/// (as those in `in_flight` were). Returns how many e-mails arrived twice.
fn check_every_booking_emailed_once(
    prasang: &Prasang,
    smtp: &SmtpSink,
    in_flight: &[String],
    rounds: u32,
) -> usize {
    let services = services(smtp.port);
    let mut booked = BTreeSet::new();
    let mut events = Vec::new();
    for entry in common::crash::log_entries(prasang) {
        match entry.event {
            DomainEvent::TicketBooked { user, .. } => {
                booked.insert((entry.seq, user));
            }
            DomainEvent::EventCreated {
                event, organizer, ..
            } => events.push((organizer, event)),
            _ => {}
        }
    }
    assert_eq!(events.len(), rounds as usize);
    assert!(
        booked.len() >= rounds as usize * ANSWERED,
        "only {} durable bookings",
        booked.len()
    );

    // The store's side: each booking's delivery sent, under the Message-ID of its own key.
    let mut by_message_id: BTreeMap<String, Delivery> = BTreeMap::new();
    for (organizer, event) in events {
        for delivery in common::crash::event_deliveries(prasang, organizer, event) {
            assert_eq!(delivery.status, DeliveryStatus::Sent, "{delivery:?}");
            let id = services.message_id(&delivery.notification.idempotency_key, 0);
            let remote_id = delivery.receipt.as_ref().and_then(|r| r.remote_id.as_ref());
            assert_eq!(remote_id, Some(&id), "{delivery:?}");
            if let Some(other) = by_message_id.insert(id.clone(), delivery) {
                panic!("two notifications have the Message-ID {id}: {other:?}");
            }
        }
    }
    let announced: BTreeSet<_> = by_message_id
        .values()
        .map(|d| (d.log_seq, d.user))
        .collect();
    assert_eq!(announced, booked, "announced ≠ durable bookings");

    // The SMTP server's side: every Message-ID is one notification's, to its recipient.
    let mut arrivals: BTreeMap<String, usize> = BTreeMap::new();
    for message in smtp.messages() {
        let id = message_id(&message);
        let delivery = by_message_id
            .get(&id)
            .unwrap_or_else(|| panic!("{id} arrived, but no durable notification has it"));
        assert_eq!(
            message.to,
            std::slice::from_ref(&delivery.notification.recipient.email),
            "{id}"
        );
        *arrivals.entry(id).or_default() += 1;
    }
    let missing: Vec<_> = by_message_id
        .keys()
        .filter(|id| !arrivals.contains_key(*id))
        .collect();
    assert!(missing.is_empty(), "never arrived: {missing:?}");
    let repeated: BTreeMap<_, _> = arrivals.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.values().all(|n| **n == 2),
        "a delivery in flight at a kill may repeat once, no more: {repeated:?}"
    );
    for id in in_flight {
        assert_eq!(
            arrivals.get(id),
            Some(&2),
            "{id} was in flight at the kill: it must arrive again, under the same Message-ID"
        );
    }
    repeated.len()
}
