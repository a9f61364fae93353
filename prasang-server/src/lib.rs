//! # prasang-server
//!
//! The bundled HTTP server of Prasang: a thin hyper adapter over [`prasang_core`]. It routes,
//! authenticates (bearer EdDSA JWTs verified by the core), rate-limits logins, maps core errors
//! to RFC 9457 problems in one place, and serves OpenAPI, JWKS, health and Prometheus metrics.
//! With [`ServerConfig::channels`] it loads notification channel plugins (with the core's
//! [`ChannelSettings::load`](prasang_core::plugin_host::ChannelSettings::load)) before opening
//! the store, and exposes preferences, organizer settings and the delivery log.
//!
//! ```no_run
//! use prasang_server::{Application, ServerConfig};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let app = Application::build(ServerConfig::temporary()).await?;
//! println!("listening on http://{}", app.address());
//! app.run_until(prasang_server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

mod app;
pub mod gateway;
mod handlers;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod request;
pub mod router;
pub mod routes;
mod schema;
pub mod state;
pub mod web;

pub use app::{Application, ServerConfig, ServerError, shutdown_signal};
pub use state::State;
