//! The notification channels the server runs: channel plugins loaded from a folder by the core's
//! plugin host, where their e-mail goes (an SMTP relay, or `.eml` files in an outbox folder), and
//! which channels users who never chose get.
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

use prasang_core::Config;
use prasang_core::notify::DeliveryPolicy;
use prasang_core::plugin_host::{HostServices, PluginHost, PluginHostError, SmtpSettings, SmtpTls};

/// The channel that users who never chose are told through, when it is installed.
pub const DEFAULT_CHANNEL: &str = "email";

/// Where the e-mail that plugins send goes.
#[derive(Clone)]
pub enum Mail {
    /// `.eml` files, one per message, named after its Message-ID, in this folder.
    Outbox(PathBuf),
    /// An SMTP server, reached as its settings' `tls` mode says (plain, STARTTLS or TLS).
    Smtp(SmtpSettings),
}

impl fmt::Debug for Mail {
    /// Never prints the SMTP password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mail::Outbox(folder) => f.debug_tuple("Outbox").field(folder).finish(),
            Mail::Smtp(smtp) => f
                .debug_struct("Smtp")
                .field("host", &smtp.host)
                .field("port", &smtp.port)
                .field("tls", &smtp.tls)
                .field("username", &smtp.credentials.as_ref().map(|(user, _)| user))
                .field("timeout", &smtp.timeout)
                .finish(),
        }
    }
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

/// How the server sets up notification channels.
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

impl ChannelSettings {
    /// Plugins from `plugins_dir`, e-mail into `outbox`.
    pub fn outbox(plugins_dir: impl Into<PathBuf>, outbox: impl Into<PathBuf>) -> Self {
        ChannelSettings {
            plugins_dir: plugins_dir.into(),
            mail: Mail::Outbox(outbox.into()),
            mail_from: None,
        }
    }
}

/// What [`load`] did: for the start-up banner and the log.
#[derive(Debug, Clone, Default)]
pub struct ChannelReport {
    /// The plugins folder.
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
}

/// Loads the channel plugins `settings` names and registers them in `store`, with a delivery
/// policy whose default channels are installed ones (see the module docs). A missing plugins
/// folder is logged and means no channels; an unreadable one, or an unusable mail setting, is an
/// error. Blocks while the plugins compile.
pub fn load(
    settings: &ChannelSettings,
    mut store: Config,
) -> Result<(Config, ChannelReport), PluginHostError> {
    let services = match &settings.mail {
        Mail::Outbox(folder) => HostServices::outbox(folder),
        Mail::Smtp(smtp) => {
            if smtp.tls == SmtpTls::None && smtp.credentials.is_some() && !is_loopback(&smtp.host) {
                tracing::warn!(
                    host = %smtp.host,
                    "the SMTP login goes to a remote server without TLS: consider --smtp-tls starttls or tls"
                );
            }
            HostServices::smtp(smtp.clone())?
        }
    };
    let services = match &settings.mail_from {
        Some(sender) => services.with_sender(sender)?,
        None => services,
    };
    let host = PluginHost::new(services)?;
    // Absolute, so the banner and the log say exactly which folder was read, whatever the
    // working directory (the demo passes `target/plugins`).
    let folder =
        std::path::absolute(&settings.plugins_dir).unwrap_or_else(|_| settings.plugins_dir.clone());
    let mut report = ChannelReport {
        plugins_dir: folder.clone(),
        plugins_dir_found: true,
        mail: settings.mail.to_string(),
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
                store = store.channel(channel);
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
    report.default_channels = default_channels(&report.loaded);
    let policy = DeliveryPolicy {
        default_channels: report.default_channels.clone(),
        ..DeliveryPolicy::default()
    };
    Ok((store.delivery_policy(policy), report))
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

impl ChannelReport {
    /// Lines for the start-up banner: channels, defaults, where mail goes, skipped plugins.
    pub fn banner(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let folder = self.plugins_dir.display();
        if !self.plugins_dir_found {
            lines.push(format!(
                "  Notify:   no plugins folder {folder}: notifications are off"
            ));
        } else if self.loaded.is_empty() {
            lines.push(format!(
                "  Notify:   no channel plugins loaded from {folder}"
            ));
        } else {
            lines.push(format!(
                "  Notify:   channels {} from {folder}; default {}",
                self.loaded.join(", "),
                if self.default_channels.is_empty() {
                    "none (users choose)".to_owned()
                } else {
                    self.default_channels.join(", ")
                }
            ));
        }
        if self.loaded.iter().any(|id| id == DEFAULT_CHANNEL) {
            lines.push(format!("  Mail:     {}", self.mail));
        }
        for (path, why) in &self.skipped {
            lines.push(format!("  Skipped:  plugin {}: {why}", path.display()));
        }
        lines
    }
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

    #[test]
    fn debug_output_hides_the_smtp_password() {
        let mut smtp = SmtpSettings::new("relay.example", 587);
        smtp.credentials = Some(("mailer".into(), "hunter2-secret".into()));
        let text = format!("{:?}", Mail::Smtp(smtp));
        assert!(
            text.contains("mailer") && !text.contains("hunter2-secret"),
            "{text}"
        );
    }
}
