//! The notification channels of a store in one call: channel plugins loaded from a folder, where
//! their e-mail goes (an SMTP relay, or `.eml` files in an outbox folder), and which channels
//! users who never chose get. The bundled server calls [`ChannelSettings::load`] and nothing
//! else, so an app embedding the crate that calls it gets the server's behaviour.
//!
//! Default channels: `email` when an `email` channel was loaded, otherwise none. The dispatcher
//! makes a delivery record for every channel a user's preferences name, installed or not; a
//! record for a channel without a plugin waits `pending` until a plugin with that id is loaded
//! (then it goes out). Defaulting to a channel that is not installed would pile such records up
//! for every booking, so the default only ever names a loaded channel. Users can only *choose*
//! loaded channels (the core refuses others), so waiting records come only from a plugin that was
//! removed after someone chose it.

use std::fmt;
use std::path::PathBuf;

use super::{CacheStats, HostServices, PluginHost, PluginHostError, SmtpSettings, SmtpTls};
use crate::Config;

/// Where in the data folder [`ChannelSettings::load`] keeps compiled plugins.
pub const CACHE_FOLDER: &str = "plugin-cache";

/// The channel that users who never chose are told through, when it is installed.
pub const DEFAULT_CHANNEL: &str = "email";

/// Where the e-mail that plugins send goes. `Debug` never shows the SMTP password (see
/// [`SmtpSettings`]).
#[derive(Debug, Clone)]
pub enum Mail {
    /// `.eml` files, one per message, named after its Message-ID, in this folder.
    Outbox(PathBuf),
    /// An SMTP server, reached as its settings' `tls` mode says (plain, STARTTLS or TLS).
    Smtp(SmtpSettings),
}

impl fmt::Display for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mail::Outbox(folder) => write!(f, ".eml files in {}", folder.display()),
            Mail::Smtp(smtp) => {
                let tls = match smtp.tls {
                    SmtpTls::None => "plain, no TLS",
                    SmtpTls::StartTls => "STARTTLS",
                    SmtpTls::Tls => "TLS",
                };
                write!(f, "SMTP via {}:{} ({tls})", smtp.host, smtp.port)
            }
        }
    }
}

/// How a store's notification channels are set up: the input of [`ChannelSettings::load`].
#[derive(Debug, Clone)]
pub struct ChannelSettings {
    /// Folder of channel plugins (`<id>.toml` beside `<id>.wasm`); a missing folder means no
    /// plugins.
    pub plugins_dir: PathBuf,
    /// Where e-mail goes.
    pub mail: Mail,
    /// `From` of every e-mail, e.g. `Venue <tickets@venue.example>`; its domain ends every
    /// Message-ID. `None`: the plugin host's default sender.
    pub mail_from: Option<String>,
}

/// What [`ChannelSettings::load`] did: for a start-up banner and the log.
#[derive(Debug, Clone, Default)]
pub struct ChannelReport {
    /// The plugins folder, made absolute.
    pub plugins_dir: PathBuf,
    /// Whether that folder exists.
    pub plugins_dir_found: bool,
    /// Ids of the loaded channels, sorted.
    pub loaded: Vec<String>,
    /// Plugins that were not loaded: manifest path and why.
    pub skipped: Vec<(PathBuf, String)>,
    /// Channels of users who never chose.
    pub default_channels: Vec<String>,
    /// Where e-mail goes, in words.
    pub mail: String,
    /// What the compiled-plugin cache did: plugins read from it, compiled, files refused.
    pub cache: CacheStats,
}

impl ChannelSettings {
    /// Plugins from `plugins_dir`, e-mail into `outbox`.
    pub fn outbox(plugins_dir: impl Into<PathBuf>, outbox: impl Into<PathBuf>) -> Self {
        ChannelSettings {
            plugins_dir: plugins_dir.into(),
            mail: Mail::Outbox(outbox.into()),
            mail_from: None,
        }
    }

    /// Loads the channel plugins these settings name, registers them in `config` and sets the
    /// delivery policy's default channels to installed ones (see the module docs); the rest of
    /// `config`'s delivery policy is kept. A missing plugins folder is logged and means no
    /// channels; an unreadable one, or an unusable mail setting, is an error. Blocks while the
    /// plugins compile; compiled plugins are kept in the data folder's [`CACHE_FOLDER`], so the
    /// next start skips that.
    pub fn load(&self, mut config: Config) -> Result<(Config, ChannelReport), PluginHostError> {
        let mut host = PluginHost::new(self.services()?)?;
        if let Some(data) = &config.settings.location {
            host = host.with_cache(data.join(CACHE_FOLDER));
        }
        // Absolute, so a banner and the log say exactly which folder was read, whatever the
        // working directory (the server's demo passes `target/plugins`).
        let folder =
            std::path::absolute(&self.plugins_dir).unwrap_or_else(|_| self.plugins_dir.clone());
        let mut report = ChannelReport {
            plugins_dir: folder.clone(),
            plugins_dir_found: true,
            mail: self.mail.to_string(),
            ..ChannelReport::default()
        };
        match host.load_dir(&folder) {
            Ok(loaded) => {
                for skipped in &loaded.skipped {
                    report
                        .skipped
                        .push((skipped.path.clone(), skipped.error.to_string()));
                }
                for channel in loaded.channels() {
                    report.loaded.push(channel.id().to_owned());
                    config = config.channel(channel);
                }
            }
            Err(PluginHostError::Folder { error, .. })
                if error.kind() == std::io::ErrorKind::NotFound =>
            {
                tracing::info!(
                    folder = %folder.display(),
                    "no plugins folder: running without notification channels"
                );
                report.plugins_dir_found = false;
            }
            Err(error) => return Err(error),
        }
        report.cache = host.cache_stats();
        report.default_channels = default_channels(&report.loaded);
        config.notify.policy.default_channels = report.default_channels.clone();
        Ok((config, report))
    }

    /// The host services for [`ChannelSettings::mail`] and [`ChannelSettings::mail_from`].
    fn services(&self) -> Result<HostServices, PluginHostError> {
        let services = match &self.mail {
            Mail::Outbox(folder) => HostServices::outbox(folder),
            Mail::Smtp(smtp) => {
                if smtp.tls == SmtpTls::None
                    && smtp.credentials.is_some()
                    && !is_loopback(&smtp.host)
                {
                    tracing::warn!(
                        host = %smtp.host,
                        "the SMTP login goes to a remote server without TLS: consider STARTTLS or TLS"
                    );
                }
                HostServices::smtp(smtp.clone())?
            }
        };
        match &self.mail_from {
            Some(sender) => services.with_sender(sender),
            None => Ok(services),
        }
    }
}

/// Whether `host` names this machine (where plain SMTP does not cross a network).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `email` when it is loaded; otherwise nothing (see the module docs for why).
fn default_channels(loaded: &[String]) -> Vec<String> {
    loaded
        .iter()
        .filter(|id| *id == DEFAULT_CHANNEL)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_channel_is_email_only_when_it_is_loaded() {
        let loaded = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            default_channels(&loaded(&["chat", "email", "webhook"])),
            ["email"]
        );
        assert!(default_channels(&loaded(&["chat", "webhook"])).is_empty());
        assert!(default_channels(&[]).is_empty());
    }

    #[test]
    fn the_mail_line_names_the_tls_mode() {
        let mut smtp = SmtpSettings::new("smtp.example", 587);
        assert_eq!(
            Mail::Smtp(smtp.clone()).to_string(),
            "SMTP via smtp.example:587 (plain, no TLS)"
        );
        smtp.tls = SmtpTls::StartTls;
        assert_eq!(
            Mail::Smtp(smtp).to_string(),
            "SMTP via smtp.example:587 (STARTTLS)"
        );
        assert!(is_loopback("localhost") && is_loopback("127.0.0.1") && is_loopback("[::1]"));
        assert!(!is_loopback("smtp.example"));
    }
}
