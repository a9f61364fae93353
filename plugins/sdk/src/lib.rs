//! # prasang-plugin-sdk
//!
//! Everything a Prasang notification-channel plugin needs, without the component-model details.
//! A plugin is a `cdylib` crate built for `wasm32-unknown-unknown` and turned into a component
//! by `cargo run -p prasang-plugin-build` (see `docs/plugins.md`).
//!
//! ```no_run
//! use prasang_plugin_sdk::{ChannelPlugin, DeliveryError, Notification, Receipt, config, log};
//!
//! struct Hello;
//!
//! impl ChannelPlugin for Hello {
//!     fn deliver(notification: Notification) -> Result<Receipt, DeliveryError> {
//!         let greeting = config::get("greeting").unwrap_or_else(|| "Hello".into());
//!         log::info(&format!("{greeting}, {}", notification.recipient.name));
//!         Ok(Receipt { remote_id: None, detail: "greeted".into() })
//!     }
//! }
//!
//! prasang_plugin_sdk::export_plugin!(Hello);
//! ```
//!
//! The plugin runs in a fresh instance for every delivery, under a deadline and a memory cap,
//! and can reach the outside world only through [`host`] (e-mail, allow-listed HTTP POST),
//! [`log`] and [`config`]. A panic is reported to the host log and fails that one delivery.

#[doc(hidden)]
pub mod bindings {
    #![allow(missing_docs)]
    wit_bindgen::generate!({
        world: "channel",
        path: "../wit/0.3.0",
        pub_export_macro: true,
        export_macro_name: "__export_channel",
        default_bindings_module: "::prasang_plugin_sdk::bindings",
    });
}

mod panic;

// A global allocator is `unsafe` by definition (GlobalAlloc is an unsafe trait).
#[allow(unsafe_code)]
pub mod heap;

/// Every delivery runs in a fresh instance, so the plugin's heap never gives memory back and
/// does not grow linear memory while the module's initial memory lasts (see [`heap`]).
#[cfg(all(target_arch = "wasm32", feature = "bump-heap"))]
#[global_allocator]
static HEAP: heap::BumpHeap<heap::LinearMemory> = heap::BumpHeap::new(heap::LinearMemory);

pub use bindings::prasang::channel::types::{
    Access, Admission, Attachment, DeliveryError, Email, EventStatus, EventSummary, HostError,
    HttpRequest, HttpResponse, LocalTime, Mailbox, Notification, NotificationKind, Offer,
    QueuePass, Receipt, Recipient, TicketLine, TicketStatus, TicketSummary,
};

/// The version of the `prasang:channel` WIT package this SDK builds plugins for. Put it in the
/// plugin manifest as `api = "…"`.
/// (Plugins built with an earlier SDK for 0.1.0 or 0.2.0 keep loading: the host supports all
/// three.)
pub const API_VERSION: &str = "0.3.0";

/// What a channel plugin implements.
pub trait ChannelPlugin {
    /// Delivers one notification. Return [`DeliveryError::Temporary`] for failures worth
    /// retrying (the receiver is down) and [`DeliveryError::Permanent`] otherwise.
    fn deliver(notification: Notification) -> Result<Receipt, DeliveryError>;
}

/// Exports a [`ChannelPlugin`] implementation as the component's `deliver` function and
/// installs a panic hook that reports panics through the host log.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __PrasangPluginExport;

        impl $crate::bindings::Guest for __PrasangPluginExport {
            fn deliver(
                notification: $crate::Notification,
            ) -> ::core::result::Result<$crate::Receipt, $crate::DeliveryError> {
                $crate::__private::install_panic_hook();
                <$plugin as $crate::ChannelPlugin>::deliver(notification)
            }
        }

        $crate::bindings::__export_channel!(__PrasangPluginExport with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
pub mod __private {
    pub use crate::panic::install_panic_hook;
}

/// Host services: e-mail and HTTP.
pub mod host {
    use crate::bindings::prasang::channel::host;
    use crate::{DeliveryError, Email, HostError, HttpRequest, HttpResponse};

    /// Sends an e-mail through the host (SMTP or the outbox folder). Returns the Message-ID,
    /// which the host derives from the notification's idempotency key.
    pub fn send_email(email: &Email) -> Result<String, HostError> {
        host::send_email(email)
    }

    /// POSTs `body` to `url`, whose host must be on the plugin's allow-list.
    pub fn http_post(
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<HttpResponse, HostError> {
        let request = HttpRequest {
            url: url.to_owned(),
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            body: body.to_vec(),
        };
        host::http_post(&request)
    }

    /// Draws `text` (e.g. an [`Admission`](crate::Admission)'s code) as a QR code: a PNG image
    /// the host renders, ready for an inline e-mail part (see [`Attachment`](crate::Attachment)'s
    /// `content_id`). `HostError::Invalid` for empty text or text over 1024 bytes.
    pub fn qr_code_png(text: &str) -> Result<Vec<u8>, HostError> {
        host::qr_code_png(text)
    }

    /// Turns an HTTP status into a delivery outcome: 2xx is success, 408/429/5xx are worth
    /// retrying, any other status is permanent.
    pub fn check_status(response: &HttpResponse) -> Result<(), DeliveryError> {
        match response.status {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 => Err(DeliveryError::Temporary(format!(
                "receiver answered HTTP {}",
                response.status
            ))),
            status => Err(DeliveryError::Permanent(format!(
                "receiver answered HTTP {status}"
            ))),
        }
    }

    impl From<HostError> for DeliveryError {
        fn from(error: HostError) -> Self {
            match error {
                HostError::Unavailable(why) => DeliveryError::Temporary(why),
                HostError::Denied(why) => DeliveryError::Permanent(format!("denied: {why}")),
                HostError::Invalid(why) => DeliveryError::Permanent(why),
            }
        }
    }
}

/// The host log; lines are tagged with the plugin's id.
pub mod log {
    use crate::bindings::prasang::channel::host;
    use crate::bindings::prasang::channel::types::LogLevel;

    /// Logs at debug level.
    pub fn debug(message: &str) {
        host::log(LogLevel::Debug, message);
    }

    /// Logs at info level.
    pub fn info(message: &str) {
        host::log(LogLevel::Info, message);
    }

    /// Logs at warn level.
    pub fn warn(message: &str) {
        host::log(LogLevel::Warn, message);
    }

    /// Logs at error level.
    pub fn error(message: &str) {
        host::log(LogLevel::Error, message);
    }
}

/// The `[config]` table of the plugin's manifest.
pub mod config {
    use crate::DeliveryError;
    use crate::bindings::prasang::channel::host;

    /// The value of `key`, if set.
    pub fn get(key: &str) -> Option<String> {
        host::config_get(key)
    }

    /// The value of `key`, or a permanent delivery error naming the missing setting.
    pub fn require(key: &str) -> Result<String, DeliveryError> {
        get(key)
            .ok_or_else(|| DeliveryError::Permanent(format!("the plugin's config has no `{key}`")))
    }
}

pub mod access;
pub mod queue;
pub mod text;
pub mod ticket;
pub mod time;
pub mod waitlist;

pub mod testing;
