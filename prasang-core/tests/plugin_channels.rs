//! An app embedding the crate sets up its notification channels with one call,
//! `ChannelSettings::load`, and gets what the bundled server gets: the plugins of a folder, e-mail
//! into an outbox (or over SMTP), and `email` as the default channel only when it is installed.
#![cfg(feature = "plugins")]

mod common;
mod plugin_support;

use std::path::Path;

use common::World;
use prasang_core::notify::{DeliveryPolicy, NotificationPreferences};
use prasang_core::plugin_host::{ChannelReport, ChannelSettings};

/// A store whose channels `settings` set up, and what loading them reported.
fn world_with(settings: &ChannelSettings) -> (World, ChannelReport) {
    let mut report = None;
    let world = World::with(|config| {
        let (config, loaded) = settings.load(config).expect("the channels load");
        report = Some(loaded);
        config
    });
    (world, report.expect("the store was configured"))
}

fn eml_files(outbox: &Path) -> usize {
    std::fs::read_dir(outbox).map_or(0, |files| {
        files
            .filter_map(Result::ok)
            .filter(|file| file.path().extension().is_some_and(|ext| ext == "eml"))
            .count()
    })
}

#[test]
fn the_bundled_plugins_load_and_users_who_never_chose_get_email() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let settings = ChannelSettings::outbox(plugin_support::plugins_dir(), &outbox);
    let (world, report) = world_with(&settings);
    assert!(report.plugins_dir_found && report.plugins_dir.is_absolute());
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.loaded, ["chat", "email", "webhook"]);
    assert_eq!(report.default_channels, ["email"]);
    assert_eq!(world.prasang.notifications().channels(), report.loaded);

    let (_, ada, event) = world.organizer_attendee_event(5, 0, 2);
    let preferences = world
        .prasang
        .notifications()
        .preferences(&ada, ada.user_id())
        .unwrap();
    assert_eq!(
        preferences,
        NotificationPreferences {
            channels: vec!["email".into()]
        }
    );
    world.book(&ada, event.id, 1);
    let dispatched = world.prasang.run_notifications_once().unwrap();
    assert_eq!(dispatched.created, 1, "{dispatched:?}");
    assert_eq!(eml_files(&outbox), 1, "the booking e-mail is in the outbox");
}

#[test]
fn a_missing_plugins_folder_means_no_channels_and_no_default() {
    let data = tempfile::tempdir().unwrap();
    let settings =
        ChannelSettings::outbox(data.path().join("no-such-plugins"), data.path().join("o"));
    let (world, report) = world_with(&settings);
    assert!(!report.plugins_dir_found);
    assert!(report.loaded.is_empty() && report.default_channels.is_empty());
    let (_, ada, event) = world.organizer_attendee_event(5, 0, 2);
    let preferences = world
        .prasang
        .notifications()
        .preferences(&ada, ada.user_id());
    assert!(preferences.unwrap().channels.is_empty());
    world.book(&ada, event.id, 1);
    let dispatched = world.prasang.run_notifications_once().unwrap();
    assert_eq!(
        dispatched.created, 0,
        "no delivery waits for a channel that is not installed"
    );
}

#[test]
fn an_unreadable_plugins_folder_or_a_bad_sender_is_an_error() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let not_a_folder = data.path().join("plugins");
    std::fs::write(&not_a_folder, "a file, not a folder").unwrap();
    let mut bad_sender = ChannelSettings::outbox(plugin_support::plugins_dir(), &outbox);
    bad_sender.mail_from = Some("not a mailbox".into());
    for settings in [ChannelSettings::outbox(&not_a_folder, &outbox), bad_sender] {
        let loaded = settings.load(prasang_core::Config::temporary());
        assert!(loaded.is_err(), "{settings:?}");
    }
}

#[test]
fn the_embedders_retry_policy_is_kept() {
    let data = tempfile::tempdir().unwrap();
    let settings = ChannelSettings::outbox(plugin_support::plugins_dir(), data.path().join("o"));
    let config = prasang_core::Config::temporary().delivery_policy(DeliveryPolicy {
        max_attempts: 7,
        ..DeliveryPolicy::default()
    });
    let (config, _) = settings.load(config).unwrap();
    // `Config` keeps its fields private; its `Debug` shows the delivery policy.
    let shown = format!("{config:?}");
    assert!(
        shown.contains("max_attempts: 7") && shown.contains("default_channels: [\"email\"]"),
        "{shown}"
    );
}

/// The `.eml` files of `outbox`, oldest name first (names are not ordered by time: callers
/// look for what they need in all of them).
fn emails(outbox: &Path) -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(outbox)
        .map(|files| files.filter_map(Result::ok).map(|f| f.path()).collect())
        .unwrap_or_default();
    paths.retain(|path| path.extension().is_some_and(|ext| ext == "eml"));
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap();
            let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            message.body_text(0).unwrap().into_owned()
        })
        .collect()
}

/// The token of the first sign-in link in `text`.
fn token_in(text: &str) -> Option<String> {
    let at = text.find("/guest/access?token=")? + "/guest/access?token=".len();
    let token: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    Some(token)
}

#[test]
fn a_guests_confirmation_and_sign_in_link_arrive_by_email_with_a_link_that_opens_the_account() {
    use prasang_core::guests::GuestCheckout;
    use prasang_core::tickets::BookingRequest;

    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let settings = ChannelSettings::outbox(plugin_support::plugins_dir(), &outbox);
    let (world, _) = world_with(&settings);
    let (_, _, event) = world.organizer_attendee_event(5, 0, 2);
    let checkout = GuestCheckout {
        name: "Gita Guest".into(),
        email: "gita@guest.example".into(),
        booking: BookingRequest::seats(event.id, 1),
    };
    let booked = world.prasang.guests().book(&checkout).unwrap();
    world.prasang.run_notifications_once().unwrap();

    let mails = emails(&outbox);
    assert_eq!(mails.len(), 1, "{mails:?}");
    let confirmation = &mails[0];
    assert!(
        confirmation.contains("Manage your tickets: http://127.0.0.1:8080/guest/access?token="),
        "{confirmation}"
    );
    // The link opens the guest's account, once.
    let token = token_in(confirmation).expect("a link");
    let session = world.prasang.guests().open(&token).unwrap();
    assert_eq!(session.user.id, booked.ticket.user);
    assert!(world.prasang.guests().open(&token).is_err(), "used twice");

    // Asking for a new link mails a guest-access message with a fresh one, which works.
    world
        .prasang
        .guests()
        .request_link("gita@guest.example")
        .unwrap();
    world.prasang.run_notifications_once().unwrap();
    let mails = emails(&outbox);
    assert_eq!(mails.len(), 2, "{mails:?}");
    let access = mails
        .iter()
        .find(|text| text.contains("Sign in: "))
        .expect("a sign-in e-mail");
    assert!(access.contains("If you did not ask for it"), "{access}");
    let fresh = token_in(access).expect("a link");
    assert_ne!(fresh, token);
    assert!(world.prasang.guests().open(&fresh).is_ok());
}

#[test]
fn an_admitted_person_is_mailed_until_when_on_the_events_clock_and_the_waiting_page() {
    use prasang_core::users::Role;
    use prasang_core::waiting_room::{AdmissionRate, RoomSettings};
    const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let settings = ChannelSettings::outbox(plugin_support::plugins_dir(), &outbox);
    let (world, _) = world_with(&settings);
    let prasang = &world.prasang;
    let olga = world.user("Olga", Role::Organizer);
    let [ada, bob] = ["Ada", "Bob"].map(|name| world.user(name, Role::Attendee));
    let mut new = common::new_event(5, 0, 2);
    new.time_zone = Some("Asia/Kolkata".into());
    let event = prasang.events().create(&olga, new).unwrap();
    let room = RoomSettings {
        enabled: true,
        on_sale_at: common::START.plus(MINUTE),
        admission: AdmissionRate::PerMinute(1),
        pass_minutes: 10,
    };
    prasang
        .waiting_room()
        .configure(&olga, event.id, room)
        .unwrap();
    prasang.waiting_room().join(&ada, event.id).unwrap();
    prasang.run_notifications_once().unwrap();
    assert!(
        emails(&outbox).is_empty(),
        "nobody is admitted before the sale"
    );

    // 2030-01-01 00:02 UTC: Ada's pass stands 10 minutes, to 00:12 UTC, 05:42 in Kolkata.
    world.clock.advance(2 * MINUTE);
    assert_eq!(prasang.waiting_room().admit_due().unwrap(), 1);
    prasang.run_notifications_once().unwrap();
    let mails = emails(&outbox);
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert!(mail.starts_with("Hello Ada,"), "{mail}");
    assert!(mail.contains("It is your turn"), "{mail}");
    assert!(mail.lines().any(|line| line == "  RustConf"), "{mail}");
    assert!(
        mail.contains("Book before: Tue 1 Jan 2030, 05:42 IST (UTC+05:30)"),
        "{mail}"
    );
    let page = format!("http://127.0.0.1:8080/events/{}/waiting-room", event.id);
    assert!(mail.contains(&format!("Book now: {page}")), "{mail}");

    // Bob is admitted next, but the notifier gets to it only after his pass lapsed: a pass
    // he can no longer use is not told.
    prasang.waiting_room().join(&bob, event.id).unwrap();
    world.clock.advance(2 * MINUTE);
    assert_eq!(prasang.waiting_room().admit_due().unwrap(), 1);
    world.clock.advance(11 * MINUTE);
    let late = prasang.run_notifications_once().unwrap();
    assert_eq!(late.created, 0, "{late:?}");
    assert_eq!(emails(&outbox).len(), 1);
}
