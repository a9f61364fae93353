//! Sending e-mail over SMTP: a pool of lettre connections that pipelines each message's
//! envelope.
//!
//! lettre's own transport costs five lock-step round trips per message: a `NOOP` to test a
//! pooled connection before every use, then `MAIL`, `RCPT`, `DATA` and the message, the last
//! in two writes (text, then the closing `.`), which against a relay that delays its ACKs can
//! wait ~40 ms. Here a message costs two round trips and two writes: `MAIL`, `RCPT` and `DATA`
//! in one write where the server offers PIPELINING (RFC 2920), then the message with its
//! closing `.`. A pooled connection is used without a `NOOP`: if it turns out to be closed
//! before any of the message went out, the message is sent again on a new connection.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::Error;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;

use super::PluginHostError;

/// A pooled connection left idle longer than this is closed rather than reused: servers drop
/// idle clients after a few minutes (Postfix: 5), and a live connection costs them a process.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// How the SMTP connection is protected. TLS uses rustls (ring) and checks the server's
/// certificate against the Mozilla roots (webpki-roots) and the host name in [`SmtpSettings`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP, never encrypted (the default): for a relay on the same machine or network,
    /// such as a local Postfix on port 25, which usually offers no certificate that would
    /// verify for `localhost`. Do not send a password this way over a network.
    #[default]
    None,
    /// Connect in plain text, then require `STARTTLS` before anything else is sent (the usual
    /// submission port 587, e.g. `smtp.gmail.com:587`). A server that does not offer STARTTLS,
    /// or whose certificate does not verify, fails the delivery: there is no fallback to plain.
    StartTls,
    /// Implicit TLS from the first byte ("SMTPS", usually port 465).
    Tls,
}

impl fmt::Display for SmtpTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SmtpTls::None => "none",
            SmtpTls::StartTls => "starttls",
            SmtpTls::Tls => "tls",
        })
    }
}

impl std::str::FromStr for SmtpTls {
    type Err = String;

    /// `none`, `starttls` or `tls` (any case).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            _ => Err(format!(
                "unknown SMTP TLS mode `{text}` (expected none, starttls or tls)"
            )),
        }
    }
}

/// How to reach an SMTP server. `Debug` shows the login name but never the password, so the
/// settings can be logged.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Server host name or address; with TLS, the name its certificate must match.
    pub host: String,
    /// Server port (25 for a local relay, 587 with [`SmtpTls::StartTls`], 465 with
    /// [`SmtpTls::Tls`], anything for tests).
    pub port: u16,
    /// Whether and how the connection is encrypted (default [`SmtpTls::None`]).
    pub tls: SmtpTls,
    /// Login, if the relay wants one.
    pub credentials: Option<(String, String)>,
    /// Connect / command timeout.
    pub timeout: Duration,
    /// Idle connections kept open for reuse (default 16). Keep it at least the number of
    /// threads sending e-mail at once (the dispatcher's `workers_per_channel` for each e-mail
    /// channel): a connection returned to a full pool is closed, so the next message pays for
    /// a new connection and greeting.
    pub max_connections: u32,
}

impl SmtpSettings {
    /// A server at `host:port` without login or TLS, with a 10 s timeout.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        SmtpSettings {
            host: host.into(),
            port,
            tls: SmtpTls::None,
            credentials: None,
            timeout: Duration::from_secs(10),
            max_connections: 16,
        }
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.credentials.as_ref().map(|(user, _)| user))
            .field("timeout", &self.timeout)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// Sends messages to one SMTP server over pooled connections; shared by every thread.
pub(super) struct SmtpMailer {
    settings: SmtpSettings,
    /// The TLS settings for [`SmtpTls::StartTls`] and [`SmtpTls::Tls`].
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello_name: ClientId,
    idle: Mutex<Vec<IdleConnection>>,
}

struct IdleConnection {
    connection: Connection,
    since: Instant,
}

/// An open, greeted (and, as configured, encrypted and logged-in) connection.
struct Connection {
    inner: SmtpConnection,
    /// Whether the server offered PIPELINING.
    pipelining: bool,
}

/// Why a message was not accepted, and whether any of its text had been sent by then.
struct SendFailure {
    error: Error,
    text_sent: bool,
}

impl SendFailure {
    fn before_text(error: Error) -> Self {
        SendFailure {
            error,
            text_sent: false,
        }
    }

    fn after_text(error: Error) -> Self {
        SendFailure {
            error,
            text_sent: true,
        }
    }
}

impl SmtpMailer {
    /// With TLS, a host that is not a valid certificate name is a
    /// [`PluginHostError::Config`]: lettre would only find out when connecting, failing every
    /// delivery instead.
    pub(super) fn new(settings: SmtpSettings) -> Result<Self, PluginHostError> {
        let tls = match settings.tls {
            SmtpTls::None => None,
            SmtpTls::StartTls | SmtpTls::Tls => Some(tls_parameters(&settings.host)?),
        };
        let credentials = settings
            .credentials
            .clone()
            .map(|(user, password)| Credentials::new(user, password));
        Ok(SmtpMailer {
            settings,
            tls,
            credentials,
            hello_name: ClientId::default(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends `message` (the formatted e-mail) to `envelope`'s recipients.
    pub(super) fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), Error> {
        if let Some(mut connection) = self.take_idle() {
            match connection.send(envelope, message) {
                Ok(()) => {
                    self.put_back(connection);
                    return Ok(());
                }
                // The server had closed the connection while it sat in the pool: nothing of
                // this message went out, so it is safe to send it again on a new connection.
                Err(failure) if !failure.text_sent && failure.error.status().is_none() => {
                    tracing::debug!(error = %failure.error, "pooled SMTP connection was stale");
                }
                Err(failure) => return Err(failure.error),
            }
        }
        let mut connection = self.connect()?;
        connection
            .send(envelope, message)
            .map_err(|failure| failure.error)?;
        self.put_back(connection);
        Ok(())
    }

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while let Some(entry) = idle.pop() {
            if entry.since.elapsed() < MAX_IDLE {
                return Some(entry.connection);
            }
            // The rest are older still (the pool is a stack): close them all.
            idle.clear();
        }
        None
    }

    fn put_back(&self, connection: Connection) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < self.settings.max_connections.max(1) as usize {
            idle.push(IdleConnection {
                connection,
                since: Instant::now(),
            });
        }
    }

    fn connect(&self) -> Result<Connection, Error> {
        let settings = &self.settings;
        let implicit_tls = match settings.tls {
            SmtpTls::Tls => self.tls.as_ref(),
            SmtpTls::None | SmtpTls::StartTls => None,
        };
        let mut inner = SmtpConnection::connect(
            (settings.host.as_str(), settings.port),
            Some(settings.timeout),
            &self.hello_name,
            implicit_tls,
            None,
        )?;
        if let (SmtpTls::StartTls, Some(tls)) = (settings.tls, &self.tls) {
            // Refuses a server that does not offer STARTTLS: no fallback to plain text.
            inner.starttls(tls, &self.hello_name)?;
        }
        // lettre keeps only the extensions it uses from its EHLO; ask again for PIPELINING.
        let capabilities = inner.command(Ehlo::new(self.hello_name.clone()))?;
        let pipelining = capabilities
            .message()
            .any(|line| line.split_whitespace().next() == Some("PIPELINING"));
        if let Some(credentials) = &self.credentials {
            inner.auth(DEFAULT_MECHANISMS, credentials)?;
        }
        Ok(Connection { inner, pipelining })
    }
}

impl Connection {
    fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Result<(), SendFailure> {
        let ascii = |address: &Address| AsRef::<str>::as_ref(address).is_ascii();
        let addresses_ascii = envelope.from().is_none_or(ascii) && envelope.to().iter().all(ascii);
        let text = match std::str::from_utf8(message) {
            Ok(text) if text.is_ascii() && addresses_ascii => text,
            // lettre's own exchange picks SMTPUTF8 / 8BITMIME as needed. lettre's builder
            // encodes bodies and headers as ASCII, so only unusual addresses get here.
            _ => {
                return self
                    .inner
                    .send(envelope, message)
                    .map(drop)
                    .map_err(SendFailure::after_text);
            }
        };
        // lettre's commands render with their CRLF, so they can be joined into one write.
        let mut commands = vec![Mail::new(envelope.from().cloned(), Vec::new()).to_string()];
        commands.extend(
            envelope
                .to()
                .iter()
                .map(|to| Rcpt::new(to.clone(), Vec::new()).to_string()),
        );
        commands.push(Data.to_string());
        if self.pipelining {
            // One write; the replies come back in order. Read them all, so that a refusal
            // leaves nothing unread on the connection.
            let replies = std::iter::once(self.inner.command(commands.concat()))
                .chain((1..commands.len()).map(|_| self.inner.read_response()))
                .collect::<Vec<_>>();
            if let Some(error) = replies.into_iter().find_map(Result::err) {
                return Err(SendFailure::before_text(error));
            }
        } else {
            for command in &commands {
                self.inner
                    .command(command)
                    .map_err(SendFailure::before_text)?;
            }
        }
        self.inner
            .command(dot_stuffed(text))
            .map(drop)
            .map_err(SendFailure::after_text)
    }
}

/// The message as DATA carries it (RFC 5321 4.5.2): a `.` that starts a line is doubled, and
/// `CRLF . CRLF` ends it — what lettre's own client writes, in one piece.
fn dot_stuffed(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 16);
    for line in message.split_inclusive("\r\n") {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
    }
    out.push_str("\r\n.\r\n");
    out
}

/// rustls client settings for an SMTP server named `host`: webpki roots, TLS 1.2 or newer.
fn tls_parameters(host: &str) -> Result<TlsParameters, PluginHostError> {
    rustls_pki_types::ServerName::try_from(host).map_err(|_| {
        PluginHostError::Config(format!(
            "SMTP TLS for `{host}`: not a host name or IP address a certificate can be checked against"
        ))
    })?;
    TlsParameters::new(host.to_owned())
        .map_err(|e| PluginHostError::Config(format!("SMTP TLS for `{host}`: {e}")))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::thread::JoinHandle;

    use super::*;

    #[test]
    fn debug_output_shows_the_login_but_never_the_password() {
        let mut settings = SmtpSettings::new("relay.example", 587);
        settings.credentials = Some(("mailer".into(), "hunter2-secret".into()));
        let text = format!("{settings:?}");
        assert!(
            text.contains("relay.example") && text.contains("mailer"),
            "{text}"
        );
        assert!(!text.contains("hunter2-secret"), "{text}");
    }

    /// An SMTP peer scripted by the test: `serve` gets each accepted connection in turn, with
    /// its number (from 0).
    fn scripted_server<T: Send + 'static>(
        connections: usize,
        serve: impl Fn(usize, &mut Peer) -> T + Send + 'static,
    ) -> (SmtpMailer, JoinHandle<Vec<T>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            (0..connections)
                .map(|number| {
                    let (stream, _) = listener.accept().unwrap();
                    stream
                        .set_read_timeout(Some(Duration::from_secs(5)))
                        .unwrap();
                    let reader = BufReader::new(stream.try_clone().unwrap());
                    serve(number, &mut Peer { reader, stream })
                })
                .collect()
        });
        let mut settings = SmtpSettings::new("127.0.0.1", port);
        settings.timeout = Duration::from_secs(5);
        (SmtpMailer::new(settings).unwrap(), server)
    }

    struct Peer {
        reader: BufReader<TcpStream>,
        stream: TcpStream,
    }

    impl Peer {
        fn say(&mut self, text: &str) {
            self.stream.write_all(text.as_bytes()).unwrap();
        }

        /// The client's next line; empty once it has hung up.
        fn line(&mut self) -> String {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            line
        }

        /// Whether the client sent anything more within `wait` (without consuming it).
        fn has_input_within(&mut self, wait: Duration) -> bool {
            self.stream.set_read_timeout(Some(wait)).unwrap();
            let ready = self
                .reader
                .fill_buf()
                .is_ok_and(|buffer| !buffer.is_empty());
            self.stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            ready
        }

        /// Greets and answers both EHLOs, offering `extensions` (`250-NAME\r\n` lines).
        fn greet(&mut self, extensions: &str) {
            self.say("220 test ESMTP\r\n");
            for _ in 0..2 {
                assert!(self.line().starts_with("EHLO "));
                self.say(&format!("250-test\r\n{extensions}250 8BITMIME\r\n"));
            }
        }

        /// Reads DATA's text up to the closing dot, as sent (still dot-stuffed).
        fn data(&mut self) -> String {
            let mut text = String::new();
            loop {
                let line = self.line();
                if line == ".\r\n" || line.is_empty() {
                    return text;
                }
                text.push_str(&line);
            }
        }

        /// Serves one message on a pipelining connection; returns its commands.
        fn one_message(&mut self) -> Vec<String> {
            self.greet("250-PIPELINING\r\n");
            let commands = vec![self.line(), self.line(), self.line()];
            self.say("250 ok\r\n250 ok\r\n354 go ahead\r\n");
            self.data();
            self.say("250 queued\r\n");
            commands
        }
    }

    fn envelope(to: &[&str]) -> Envelope {
        Envelope::new(
            Some("tickets@prasang.localhost".parse().unwrap()),
            to.iter().map(|address| address.parse().unwrap()).collect(),
        )
        .unwrap()
    }

    const MESSAGE: &[u8] = b"Subject: hi\r\n\r\n.starts with a dot\r\nlast line\r\n";

    #[test]
    fn the_envelope_goes_out_in_one_write_when_the_server_pipelines() {
        let (mailer, server) = scripted_server(1, |_, peer| {
            peer.greet("250-PIPELINING\r\n");
            // Nothing is answered until all four commands are in: a client that waited for
            // the MAIL reply would never send RCPT, and this read would time out.
            let commands = [peer.line(), peer.line(), peer.line(), peer.line()];
            peer.say("250 sender ok\r\n250 one\r\n250 two\r\n354 go ahead\r\n");
            let text = peer.data();
            peer.say("250 queued\r\n");
            (commands, text)
        });
        let to = envelope(&["ada@example.org", "alan@example.org"]);
        mailer.send(&to, MESSAGE).unwrap();
        let (commands, text) = server.join().unwrap().remove(0);
        assert_eq!(
            commands,
            [
                "MAIL FROM:<tickets@prasang.localhost>\r\n",
                "RCPT TO:<ada@example.org>\r\n",
                "RCPT TO:<alan@example.org>\r\n",
                "DATA\r\n",
            ]
        );
        assert_eq!(
            text,
            "Subject: hi\r\n\r\n..starts with a dot\r\nlast line\r\n\r\n"
        );
    }

    #[test]
    fn without_pipelining_each_command_waits_for_its_reply() {
        let (mailer, server) = scripted_server(1, |_, peer| {
            peer.greet("");
            let mut sent_early = Vec::new();
            for reply in [
                "250 sender ok\r\n",
                "250 recipient ok\r\n",
                "354 go ahead\r\n",
            ] {
                peer.line();
                sent_early.push(peer.has_input_within(Duration::from_millis(200)));
                peer.say(reply);
            }
            peer.data();
            peer.say("250 queued\r\n");
            sent_early
        });
        mailer
            .send(&envelope(&["ada@example.org"]), MESSAGE)
            .unwrap();
        assert_eq!(server.join().unwrap().remove(0), [false, false, false]);
    }

    #[test]
    fn a_pooled_connection_the_server_closed_is_replaced_without_sending_twice() {
        // Each connection carries one message and is then closed by the server, as an idle
        // server would: the second message finds its pooled connection dead.
        let (mailer, server) = scripted_server(2, |_, peer| peer.one_message());
        let to = envelope(&["ada@example.org"]);
        mailer.send(&to, MESSAGE).unwrap();
        mailer.send(&to, MESSAGE).unwrap();
        let connections = server.join().unwrap();
        assert!(
            connections
                .iter()
                .all(|commands| commands[0].starts_with("MAIL FROM:"))
        );
    }

    #[test]
    fn a_refused_recipient_is_a_permanent_error_and_the_next_message_still_goes() {
        let (mailer, server) = scripted_server(2, |number, peer| {
            if number > 0 {
                return peer.one_message();
            }
            peer.greet("250-PIPELINING\r\n");
            let commands = vec![peer.line(), peer.line(), peer.line()];
            peer.say("250 ok\r\n550 no such user\r\n554 no valid recipients\r\n");
            // The client must not send the text after all: it hangs up instead.
            assert_eq!(peer.line(), "", "the client went on after a refusal");
            commands
        });
        let to = envelope(&["nobody@example.org"]);
        let error = mailer.send(&to, MESSAGE).unwrap_err();
        assert!(error.is_permanent(), "{error}");
        mailer.send(&to, MESSAGE).unwrap();
        assert_eq!(server.join().unwrap().len(), 2);
    }

    #[test]
    fn data_doubles_a_leading_dot_on_every_line_and_ends_with_a_lone_dot() {
        assert_eq!(
            dot_stuffed(".a\r\nb.\r\n..c\r\n"),
            "..a\r\nb.\r\n...c\r\n\r\n.\r\n"
        );
        assert_eq!(dot_stuffed(""), "\r\n.\r\n");
    }
}
