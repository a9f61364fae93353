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
