//! Command-line flags (each also a `PRASANG_*` environment variable) and what each command does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use prasang_core::kafka::KafkaSettings;
use prasang_core::plugin_host::{
    ChannelReport, ChannelSettings, DEFAULT_CHANNEL, Mail, SmtpSettings, SmtpTls,
};
use prasang_core::users::{Gender, NewUser, PasswordCost, UserError};
use prasang_core::zone::Zone;
use prasang_core::{Config, Prasang};

use prasang_server::{Application, ServerConfig};

/// Prasang: event management with bookings that never oversell.
///
/// With no command, serves the web UI (/) and the REST API (see /api/v1/openapi.json) from the
/// data folder.
#[derive(Debug, Parser)]
#[command(name = "prasang-server", version, about, long_about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server settings.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Commands besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Create an admin account in the data folder and exit.
    Admin {
        /// Admin e-mail address.
        #[arg(long, env = "PRASANG_ADMIN_EMAIL")]
        email: String,
        /// Admin password (8–256 characters).
        #[arg(long, env = "PRASANG_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Display name.
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Serve a hyper hello-world on the address (the benchmark's ceiling).
    Hello {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8081")]
        bind: SocketAddr,
    },
    /// Flash-sale benchmark against a release server it starts (or --url).
    Bench(crate::bench::BenchArgs),
}

/// Settings of the server.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Data folder (created on first run).
    #[arg(long, env = "PRASANG_DATA_DIR", default_value = "./prasang-data")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "PRASANG_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Load demo data (organizers, attendees, past and upcoming events, bookings) into an empty
    /// store and print the demo accounts.
    #[arg(long, env = "PRASANG_DEMO")]
    pub demo: bool,
    /// Create this admin account at start-up if it does not exist (with --admin-password).
    #[arg(long, env = "PRASANG_ADMIN_EMAIL", requires = "admin_password")]
    pub admin_email: Option<String>,
    /// Password of the --admin-email account.
    #[arg(long, env = "PRASANG_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Password>,
    /// Largest request body, bytes.
    #[arg(long, env = "PRASANG_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds one request may take before it is answered with 503.
    #[arg(long, env = "PRASANG_REQUEST_TIMEOUT_SECS", default_value_t = 10)]
    pub request_timeout_secs: u64,
    /// Login/registration attempts per client address per minute (0 = unlimited).
    #[arg(long, env = "PRASANG_AUTH_RATE_PER_MINUTE", default_value_t = 10)]
    pub auth_rate_per_minute: u32,
    /// Login/registration attempts allowed at once before the per-minute rate applies.
    #[arg(long, env = "PRASANG_AUTH_BURST", default_value_t = 20)]
    pub auth_burst: u32,
    /// Hash passwords with a trivially cheap argon2 cost. ONLY for load-test servers with
    /// throwaway accounts: stolen hashes would be cracked at once.
    #[arg(long, env = "PRASANG_INSECURE_FAST_PASSWORD_HASHING")]
    pub insecure_fast_password_hashing: bool,
    /// Acknowledge writes before they reach the disk and flush every this many milliseconds
    /// instead (a crash can lose that much acknowledged work). Default: every acknowledged
    /// booking is durable (group commit).
    #[arg(long, env = "PRASANG_PERIODIC_FLUSH_MS")]
    pub periodic_flush_ms: Option<u64>,
    /// The store's page cache in MiB (sled's `cache_capacity`): most of the server's memory
    /// beyond it grows with the data written (see BENCHMARKS.md, the waiting room's footprint).
    #[arg(long, env = "PRASANG_CACHE_MB", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(8..=65_536))]
    pub cache_mb: u64,
    /// IANA time zone (e.g. `Europe/Berlin`) of events created without a `time_zone`; their
    /// local times are read in it.
    #[arg(long, env = "PRASANG_DEFAULT_TIME_ZONE", default_value = "UTC", value_parser = Zone::new)]
    pub default_time_zone: Zone,
    /// The address people reach the web UI at, e.g. `https://tickets.example.org` (behind a
    /// proxy, its public address): links in notifications, such as a waiting-list offer's
    /// accept page, start with it. Default: `http://` and --bind.
    #[arg(long, env = "PRASANG_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `prasang_server=debug`.
    #[arg(long, env = "PRASANG_LOG", default_value = "info")]
    pub log: String,
    /// The server is reached over HTTPS (e.g. behind a TLS-terminating proxy): the web UI's
    /// cookies are marked `Secure`.
    #[arg(long, env = "PRASANG_BEHIND_TLS")]
    pub behind_tls: bool,
    /// Worker threads for the async runtime (default: one per core).
    #[arg(long, env = "PRASANG_WORKERS")]
    pub workers: Option<usize>,
    /// Notification channel plugins and mail.
    #[command(flatten)]
    pub notify: NotifyArgs,
    /// Exporting the event log to Kafka.
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

/// The Kafka exporter (docs/kafka.md): off unless --kafka-brokers is given.
#[derive(Clone, Debug, Args)]
pub struct KafkaArgs {
    /// Publish every event-log entry to Kafka through these brokers (`host:port`, comma
    /// separated; plaintext). Default: no export.
    #[arg(long, env = "PRASANG_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// The topic the log goes to (created with --kafka-partitions if missing and allowed).
    #[arg(long, env = "PRASANG_KAFKA_TOPIC", default_value = "prasang.log")]
    pub kafka_topic: String,
    /// Partitions of the topic, when the exporter creates it.
    #[arg(long, env = "PRASANG_KAFKA_PARTITIONS", default_value_t = 3,
          value_parser = clap::value_parser!(i32).range(1..=10_000))]
    pub kafka_partitions: i32,
}

impl KafkaArgs {
    /// The exporter's settings, when exporting is on.
    fn settings(&self) -> Option<KafkaSettings> {
        let brokers = self.kafka_brokers.as_deref()?.trim();
        if brokers.is_empty() {
            return None;
        }
        let mut settings = KafkaSettings::new(brokers, &self.kafka_topic);
        settings.partitions = self.kafka_partitions;
        Some(settings)
    }
}

/// Notification channels: where the plugins are and where their e-mail goes.
#[derive(Clone, Debug, Args)]
pub struct NotifyArgs {
    /// Folder of channel plugins (`<id>.wasm` beside `<id>.toml`; `bash plugins/build.sh` builds
    /// the bundled ones into target/plugins). Default: `<data-dir>/plugins`. A missing folder
    /// means no plugins, so no notifications.
    #[arg(long, env = "PRASANG_PLUGINS_DIR")]
    pub plugins_dir: Option<PathBuf>,
    /// SMTP server for the e-mail channel (see --smtp-tls). Without it, e-mails are written as
    /// .eml files into `<data-dir>/outbox`.
    #[arg(long, env = "PRASANG_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// Port of the SMTP server (25 for a local relay, 587 with starttls, 465 with tls).
    #[arg(long, env = "PRASANG_SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,
    /// Encryption of the SMTP connection: `none` (plain SMTP, for a relay on this machine or
    /// network), `starttls` (plain connect, then STARTTLS is required; port 587) or `tls`
    /// (TLS from the start; port 465). With TLS the server's certificate must verify for
    /// --smtp-host against the Mozilla roots.
    #[arg(
        long,
        env = "PRASANG_SMTP_TLS",
        default_value_t = SmtpTls::None,
        value_parser = PossibleValuesParser::new(["none", "starttls", "tls"])
            .map(|mode| mode.parse::<SmtpTls>().expect("one of the listed modes"))
    )]
    pub smtp_tls: SmtpTls,
    /// SMTP login name (with --smtp-password).
    #[arg(long, env = "PRASANG_SMTP_USERNAME", requires = "smtp_password")]
    pub smtp_username: Option<String>,
    /// SMTP password (with --smtp-username).
    #[arg(
        long,
        env = "PRASANG_SMTP_PASSWORD",
        hide_env_values = true,
        requires = "smtp_username"
    )]
    pub smtp_password: Option<Password>,
    /// Seconds an SMTP connection or command may take.
    #[arg(long, env = "PRASANG_SMTP_TIMEOUT_SECS", default_value_t = 10)]
    pub smtp_timeout_secs: u64,
    /// `From` of every e-mail, e.g. 'Venue <tickets@venue.example>' (its domain also ends every
    /// Message-ID). Default: Prasang <noreply@prasang.localhost>.
    #[arg(long, env = "PRASANG_MAIL_FROM")]
    pub mail_from: Option<String>,
}

/// A password from the command line or the environment: its `Debug` never shows it, so no log of
/// the settings can.
#[derive(Clone)]
pub struct Password(String);

impl std::str::FromStr for Password {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Password(text.to_owned()))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

impl NotifyArgs {
    /// The channel settings these flags describe for a server on `data_dir`.
    pub fn channel_settings(&self, data_dir: &Path) -> ChannelSettings {
        let mail = match &self.smtp_host {
            Some(host) => {
                let mut smtp = SmtpSettings::new(host.clone(), self.smtp_port);
                smtp.tls = self.smtp_tls;
                smtp.timeout = Duration::from_secs(self.smtp_timeout_secs.max(1));
                smtp.credentials = self
                    .smtp_username
                    .clone()
                    .zip(self.smtp_password.as_ref().map(|p| p.0.clone()));
                Mail::Smtp(smtp)
            }
            None => Mail::Outbox(data_dir.join("outbox")),
        };
        ChannelSettings {
            plugins_dir: self
                .plugins_dir
                .clone()
                .unwrap_or_else(|| data_dir.join("plugins")),
            mail,
            mail_from: self.mail_from.clone(),
        }
    }
}

impl ServeArgs {
    /// The core store settings these flags describe.
    pub fn store_config(&self) -> Config {
        let mut config = Config::new(&self.data_dir)
            .default_time_zone(self.default_time_zone.clone())
            .public_url(self.public_url())
            .cache_bytes(self.cache_mb * 1024 * 1024);
        if let Some(kafka) = self.kafka.settings() {
            config = config.kafka(kafka);
        }
        if let Some(ms) = self.periodic_flush_ms {
            config = config.durability(prasang_core::Durability::Periodic {
                every: Duration::from_millis(ms.max(1)),
            });
        }
        if self.insecure_fast_password_hashing {
            config.password_cost(PasswordCost::INSECURE_FAST)
        } else {
            config
        }
    }

    /// Where people reach the web UI: --public-url, else `http://` and the bound address.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
    }

    /// The server settings these flags describe.
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            bind: self.bind,
            max_body_bytes: self.max_body_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            auth_rate_per_minute: self.auth_rate_per_minute,
            auth_burst: self.auth_burst,
            channels: Some(self.notify.channel_settings(&self.data_dir)),
            web: prasang_server::web::WebSettings {
                secret_file: Some(self.data_dir.join("web-secret")),
                secure_cookies: self.behind_tls,
            },
            ..ServerConfig::new(self.store_config())
        }
    }
}

/// Runs the command line.
pub fn run(cli: Cli) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.serve.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(workers) = cli.serve.workers {
        runtime.worker_threads(workers.max(1));
    }
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome: Result<(), Box<dyn std::error::Error + Send + Sync>> = match cli.command {
        None | Some(Command::Serve) => runtime.block_on(serve(cli.serve)),
        Some(Command::Admin {
            email,
            password,
            name,
        }) => create_admin(&cli.serve, &email, &password, &name),
        Some(Command::Hello { bind }) => runtime
            .block_on(crate::hello::serve(bind, |address| {
                println!("hello-world server on http://{address}/");
            }))
            .map_err(Into::into),
        Some(Command::Bench(args)) => runtime.block_on(crate::bench::run(args)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Checks --public-url: an absolute `http` or `https` address with a host and nothing after the
/// path (links are made by appending paths to it). A trailing `/` is dropped.
fn public_url(text: &str) -> Result<String, String> {
    let refused = || {
        format!(
            "`{text}` is not an http:// or https:// address such as https://tickets.example.org"
        )
    };
    let uri: hyper::Uri = text.parse().map_err(|_| refused())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|host| !host.is_empty());
    let plain = uri.query().is_none() && !text.contains('#') && !text.contains('@');
    if !(scheme_ok && host_ok && plain) {
        return Err(refused());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

fn admin_account(email: &str, password: &str, name: &str) -> NewUser {
    NewUser {
        name: name.into(),
        email: email.into(),
        password: password.into(),
        gender: Gender::Undisclosed,
        age: 30,
        role: prasang_core::users::Role::Admin,
    }
}

/// Creates the admin unless an account with that e-mail exists; says which happened.
fn ensure_admin(
    prasang: &Prasang,
    email: &str,
    password: &str,
    name: &str,
) -> Result<bool, UserError> {
    match prasang
        .users()
        .create_admin(admin_account(email, password, name))
    {
        Ok(_) => Ok(true),
        Err(UserError::EmailTaken) => Ok(false),
        Err(error) => Err(error),
    }
}

fn create_admin(
    args: &ServeArgs,
    email: &str,
    password: &str,
    name: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // No notification or maintenance threads for a one-off command: the server does that work.
    let prasang = Prasang::open(args.store_config().background_tasks(false))?;
    if ensure_admin(&prasang, email, password, name)? {
        println!("created admin {email}");
    } else {
        println!("an account with the e-mail {email} already exists; nothing changed");
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if args.insecure_fast_password_hashing {
        tracing::warn!("INSECURE fast password hashing is on: use this server for load tests only");
    }
    let demo_accounts = if args.demo {
        let config = args.store_config();
        tokio::task::spawn_blocking(move || crate::demo::load_if_empty(config)).await??
    } else {
        None
    };
    let app = Application::build(args.server_config()).await?;
    if let (Some(email), Some(password)) = (&args.admin_email, &args.admin_password) {
        let prasang = app.prasang().clone();
        let (email, password) = (email.clone(), password.0.clone());
        let created = tokio::task::spawn_blocking(move || {
            ensure_admin(&prasang, &email, &password, "Administrator")
        })
        .await??;
        if created {
            tracing::info!("created the admin account from --admin-email");
        }
    }
    let url = format!("http://{}", app.address());
    println!("Prasang is serving {} on {url}", args.data_dir.display());
    if args.public_url.is_some() {
        println!(
            "  Public:   {}/   (links in notifications)",
            args.public_url()
        );
    }
    println!("  Web UI:   {url}/   (open it in a browser)");
    println!("  API:      {url}/api/v1/events   (OpenAPI: {url}/api/v1/openapi.json)");
    println!(
        "  Register: curl -X POST {url}/api/v1/auth/register -H 'content-type: application/json' \\"
    );
    println!(
        "              -d '{{\"name\":\"Ada\",\"email\":\"ada@example.org\",\"password\":\"a long password\",\"gender\":\"female\",\"age\":36,\"role\":\"organizer\"}}'"
    );
    println!(
        "  Log in:   curl -X POST {url}/api/v1/auth/login -H 'content-type: application/json' \\"
    );
    println!(
        "              -d '{{\"email\":\"ada@example.org\",\"password\":\"a long password\"}}'"
    );
    println!("            then send `Authorization: Bearer <access_token>`.");
    if args.admin_email.is_none() && !args.demo {
        println!("  Admin:    prasang-server admin --email you@example.org --password '…'");
    }
    // (The plugin host has logged each skipped plugin already; the banner repeats them.)
    for line in app.channels().map(channel_banner).unwrap_or_default() {
        println!("{line}");
    }
    match demo_accounts {
        Some(accounts) => println!("{accounts}"),
        None if args.demo => println!("  (the store already had data, so no demo data was loaded)"),
        None => {}
    }
    app.run_until(prasang_server::shutdown_signal()).await?;
    Ok(())
}

/// Lines for the start-up banner: channels, defaults, where mail goes, skipped plugins.
fn channel_banner(report: &ChannelReport) -> Vec<String> {
    let mut lines = Vec::new();
    let folder = report.plugins_dir.display();
    if !report.plugins_dir_found {
        lines.push(format!(
            "  Notify:   no plugins folder {folder}: notifications are off"
        ));
    } else if report.loaded.is_empty() {
        lines.push(format!(
            "  Notify:   no channel plugins loaded from {folder}"
        ));
    } else {
        lines.push(format!(
            "  Notify:   channels {} from {folder}; default {}",
            report.loaded.join(", "),
            if report.default_channels.is_empty() {
                "none (users choose)".to_owned()
            } else {
                report.default_channels.join(", ")
            }
        ));
    }
    if report.loaded.iter().any(|id| id == DEFAULT_CHANNEL) {
        lines.push(format!("  Mail:     {}", report.mail));
    }
    for (path, why) in &report.skipped {
        lines.push(format!("  Skipped:  plugin {}: {why}", path.display()));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(args: &[&str]) -> ChannelSettings {
        let cli = Cli::try_parse_from(["prasang-server"].iter().chain(args))
            .unwrap_or_else(|e| panic!("{e}"));
        cli.serve
            .server_config()
            .channels
            .expect("the server always sets up channels")
    }

    #[test]
    fn plugins_and_outbox_default_to_the_data_folder() {
        // Built by hand: PRASANG_* variables in the test's environment must not matter.
        let args = NotifyArgs {
            plugins_dir: None,
            smtp_host: None,
            smtp_port: 25,
            smtp_tls: SmtpTls::None,
            smtp_username: None,
            smtp_password: None,
            smtp_timeout_secs: 10,
            mail_from: None,
        };
        let channels = args.channel_settings(Path::new("/srv/prasang"));
        assert_eq!(channels.plugins_dir, Path::new("/srv/prasang/plugins"));
        assert!(
            matches!(&channels.mail, Mail::Outbox(folder) if folder == Path::new("/srv/prasang/outbox")),
            "{:?}",
            channels.mail
        );
        assert_eq!(channels.mail_from, None);
    }

    #[test]
    fn an_smtp_host_sends_mail_over_smtp_with_the_login() {
        let channels = settings(&[
            "--plugins-dir",
            "target/plugins",
            "--smtp-host",
            "relay.example",
            "--smtp-port",
            "2525",
            "--smtp-tls",
            "starttls",
            "--smtp-username",
            "mailer",
            "--smtp-password",
            "s3cret",
            "--mail-from",
            "Venue <tickets@venue.example>",
        ]);
        assert_eq!(channels.plugins_dir, Path::new("target/plugins"));
        let Mail::Smtp(smtp) = &channels.mail else {
            panic!("expected SMTP, got {:?}", channels.mail);
        };
        assert_eq!((smtp.host.as_str(), smtp.port), ("relay.example", 2525));
        assert_eq!(smtp.tls, SmtpTls::StartTls);
        assert_eq!(
            smtp.credentials,
            Some(("mailer".to_owned(), "s3cret".to_owned()))
        );
        assert_eq!(
            channels.mail_from.as_deref(),
            Some("Venue <tickets@venue.example>")
        );
    }

    #[test]
    fn smtp_tls_takes_the_three_modes_and_defaults_to_plain() {
        let tls = |args: &[&str]| {
            let mut all = vec!["--smtp-host", "relay.example"];
            all.extend_from_slice(args);
            match settings(&all).mail {
                Mail::Smtp(smtp) => smtp.tls,
                other => panic!("expected SMTP, got {other:?}"),
            }
        };
        // (PRASANG_SMTP_TLS in the environment would change the default; tests don't set it.)
        if std::env::var_os("PRASANG_SMTP_TLS").is_none() {
            assert_eq!(tls(&[]), SmtpTls::None);
        }
        assert_eq!(tls(&["--smtp-tls", "none"]), SmtpTls::None);
        assert_eq!(tls(&["--smtp-tls", "starttls"]), SmtpTls::StartTls);
        assert_eq!(tls(&["--smtp-tls", "tls"]), SmtpTls::Tls);
        assert!(
            Cli::try_parse_from(["prasang-server", "--smtp-tls", "ssl"]).is_err(),
            "an unknown mode is refused"
        );
    }

    #[test]
    fn an_smtp_username_needs_a_password() {
        let parsed = Cli::try_parse_from(["prasang-server", "--smtp-username", "mailer"]);
        assert!(parsed.is_err());
    }

    #[test]
    fn the_public_url_reaches_the_store_and_defaults_to_the_bind_address() {
        let config = |args: &[&str]| {
            let cli = Cli::try_parse_from(["prasang-server"].iter().chain(args))
                .unwrap_or_else(|e| panic!("{e}"));
            format!("{:?}", cli.serve.store_config())
        };
        let given = config(&["--public-url", "https://tickets.example.org/"]);
        assert!(
            given.contains("public_url: \"https://tickets.example.org\""),
            "{given}"
        );
        let behind_a_path = config(&["--public-url", "https://example.org/tickets"]);
        assert!(
            behind_a_path.contains("public_url: \"https://example.org/tickets\""),
            "{behind_a_path}"
        );
        // (PRASANG_PUBLIC_URL in the environment would change the default; tests don't set it.)
        if std::env::var_os("PRASANG_PUBLIC_URL").is_none() {
            let default = config(&["--bind", "10.0.0.5:9000"]);
            assert!(
                default.contains("public_url: \"http://10.0.0.5:9000\""),
                "{default}"
            );
        }
        for bad in [
            "tickets.example.org",
            "ftp://example.org",
            "https://",
            "https://example.org/?a=b",
            "https://example.org/#top",
            "https://user@example.org",
        ] {
            assert!(
                Cli::try_parse_from(["prasang-server", "--public-url", bad]).is_err(),
                "{bad} is refused"
            );
        }
    }

    #[test]
    fn the_default_time_zone_reaches_the_store_and_unknown_zones_are_refused() {
        let cli = Cli::try_parse_from(["prasang-server", "--default-time-zone", "asia/kolkata"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.serve.default_time_zone.name(), "Asia/Kolkata");
        let config = format!("{:?}", cli.serve.store_config());
        assert!(
            config.contains("default_time_zone: Zone(Asia/Kolkata)"),
            "{config}"
        );
        let refused = Cli::try_parse_from(["prasang-server", "--default-time-zone", "Mars/Base"])
            .expect_err("not a zone");
        assert!(
            refused.to_string().contains("unknown time zone"),
            "{refused}"
        );
    }
}
