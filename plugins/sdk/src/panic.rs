//! Panics on `wasm32-unknown-unknown` are bare traps; the hook tells the host why first.

use std::sync::Once;

use crate::bindings::prasang::channel::host;
use crate::bindings::prasang::channel::types::LogLevel;

/// Installs (once per instance) a hook that sends the panic message to the host log.
pub fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            host::log(LogLevel::Error, &format!("plugin panicked: {info}"));
        }));
    });
}
