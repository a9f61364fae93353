//! Bindings for `prasang:channel@0.2.0`: 0.1.0 plus the `feedback-request` kind and the
//! event's time zone with local start and end times, computed here from the tz database so
//! plugins need none. Kept so plugins built against it load and run as before.

super::shared_bindings::channel_host!("0.2.0", "../plugins/wit/0.2.0");
super::shared_bindings::zoned_notification!();
