//! What the host does on a plugin's behalf: send e-mail, POST to allow-listed hosts.
//!
//! These types are independent of any WIT version; each version's bindings convert to them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use ureq::unversioned::transport::DefaultConnector;

use super::resolver;
use super::smtp::{SmtpMailer, SmtpSettings};

/// Largest response body handed back to a plugin.
pub const MAX_RESPONSE_BODY: u64 = 64 * 1024;

/// Idle keep-alive HTTP connections kept per host (and in all). ureq keeps 3 per host by
/// default: with more delivery workers than that posting to one webhook host, every extra
/// request would open (and then close) a connection of its own.
const HTTP_IDLE_CONNECTIONS: usize = 64;

/// Why a host service refused or failed (mirrors WIT `host-error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// Not allowed for this plugin.
    Denied(String),
    /// Could not reach the far side; worth retrying.
    Unavailable(String),
    /// The request is wrong or was refused for good.
    Invalid(String),
}

/// An e-mail a plugin asked the host to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// `(display name, address)` pairs.
    pub to: Vec<(Option<String>, String)>,
    /// Subject line.
    pub subject: String,
    /// text/plain body.
    pub text_body: String,
    /// text/html body, sent as a multipart/alternative beside the text.
    pub html_body: Option<String>,
    /// Attachments.
    pub attachments: Vec<OutgoingAttachment>,
}

/// One attachment of an [`OutgoingEmail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingAttachment {
    /// File name shown to the recipient.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// Content.
    pub data: Vec<u8>,
    /// For a part the HTML body shows inline (`<img src="cid:…">`): its Content-ID, without
    /// the angle brackets. Only 0.3.0 plugins can set it.
    pub content_id: Option<String>,
}

/// An HTTP POST a plugin asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPost {
    /// Target URL.
    pub url: String,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Vec<u8>,
}

/// The answer to an [`HttpPost`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The first [`MAX_RESPONSE_BODY`] bytes of the body.
    pub body: Vec<u8>,
}

enum MailDelivery {
    Smtp(Box<SmtpMailer>),
    Outbox(PathBuf),
}

/// The capabilities the host lends to plugins. Build one per process and share it.
///
/// ```no_run
/// use prasang_core::plugin_host::{HostServices, SmtpSettings, SmtpTls};
/// // Without an SMTP server, e-mails land as .eml files in <data>/outbox:
/// let services = HostServices::outbox("/var/lib/prasang/outbox");
/// // With a local relay (plain SMTP):
/// let services = HostServices::smtp(SmtpSettings::new("localhost", 25))?
///     .with_sender("Prasang <tickets@example.org>")?;
/// // With a provider's submission port (STARTTLS, certificate checked, login):
/// let mut gmail = SmtpSettings::new("smtp.gmail.com", 587);
/// gmail.tls = SmtpTls::StartTls;
/// gmail.credentials = Some(("tickets@example.org".into(), "app password".into()));
/// let services = HostServices::smtp(gmail)?;
/// # Ok::<(), prasang_core::plugin_host::PluginHostError>(())
/// ```
pub struct HostServices {
    mail: MailDelivery,
    sender: Mailbox,
    http: ureq::Agent,
}

impl HostServices {
    /// E-mails are written as `<outbox>/<Message-ID>.eml`, one file per message: a repeated
    /// delivery overwrites its own file instead of adding a second one.
    pub fn outbox(folder: impl Into<PathBuf>) -> Self {
        Self::with_mail(MailDelivery::Outbox(folder.into()))
    }

    /// E-mails are sent over SMTP, encrypted as `settings.tls` says. With TLS, a host that is
    /// not a valid certificate name is a [`super::PluginHostError::Config`].
    pub fn smtp(settings: SmtpSettings) -> Result<Self, super::PluginHostError> {
        let mailer = SmtpMailer::new(settings)?;
        Ok(Self::with_mail(MailDelivery::Smtp(Box::new(mailer))))
    }

    fn with_mail(mail: MailDelivery) -> Self {
        HostServices {
            mail,
            sender: "Prasang <noreply@prasang.localhost>"
                .parse()
                .expect("the default sender is a valid mailbox"),
            http: http_agent(Duration::from_secs(10)),
        }
    }

    /// The `From` of every e-mail (default `Prasang <noreply@prasang.localhost>`); its domain
    /// also ends every Message-ID.
    pub fn with_sender(mut self, sender: &str) -> Result<Self, super::PluginHostError> {
        self.sender = sender
            .parse()
            .map_err(|e| super::PluginHostError::Config(format!("sender `{sender}`: {e}")))?;
        Ok(self)
    }

    /// Timeout of a whole HTTP POST (default 10 s).
    pub fn with_http_timeout(mut self, timeout: Duration) -> Self {
        self.http = http_agent(timeout);
        self
    }

    /// The Message-ID for the `n`th (from 0) e-mail of the delivery with this idempotency key:
    /// the same key always gives the same id, so receivers can drop a repeated message.
    pub fn message_id(&self, idempotency_key: &str, n: u32) -> String {
        let local = only_ascii(idempotency_key, "!#$%&'*+-/=?^_`{|}~.");
        let local = local.trim_matches('.');
        let suffix = if n == 0 {
            String::new()
        } else {
            format!(".{n}")
        };
        format!("<{local}{suffix}@{}>", self.sender.email.domain())
    }

    pub(crate) fn send_email(
        &self,
        email: OutgoingEmail,
        message_id: &str,
    ) -> Result<(), ServiceError> {
        let message = self.build_message(email, message_id)?;
        match &self.mail {
            MailDelivery::Smtp(mailer) => mailer
                .send(message.envelope(), &message.formatted())
                .map_err(|e| {
                    if e.is_permanent() {
                        ServiceError::Invalid(format!("SMTP server refused the message: {e}"))
                    } else {
                        ServiceError::Unavailable(format!("SMTP delivery failed: {e}"))
                    }
                }),
            MailDelivery::Outbox(folder) => write_eml(folder, message_id, &message.formatted())
                .map_err(|e| {
                    ServiceError::Unavailable(format!("writing to {}: {e}", folder.display()))
                }),
        }
    }

    fn build_message(
        &self,
        email: OutgoingEmail,
        message_id: &str,
    ) -> Result<Message, ServiceError> {
        let mut builder = Message::builder()
            .from(self.sender.clone())
            .message_id(Some(message_id.to_owned()))
            .subject(email.subject);
        if email.to.is_empty() {
            return Err(ServiceError::Invalid("the e-mail has no recipient".into()));
        }
        for (name, address) in email.to {
            let address = address
                .parse()
                .map_err(|e| ServiceError::Invalid(format!("recipient `{address}`: {e}")))?;
            builder = builder.to(Mailbox::new(name, address));
        }
        // Inline parts go with the HTML that shows them; without HTML they are attachments.
        let has_html = email.html_body.is_some();
        let (inline, attached): (Vec<_>, Vec<_>) = email
            .attachments
            .into_iter()
            .partition(|a| has_html && a.content_id.is_some());
        let text = SinglePart::plain(email.text_body);
        let content = match email.html_body {
            Some(html) if inline.is_empty() => MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::html(html)),
            Some(html) => {
                // The HTML with the parts it shows by cid: (RFC 2387), where mail clients look
                // for them: a multipart/related as the alternative to the text.
                let mut related = MultiPart::related().singlepart(SinglePart::html(html));
                for attachment in inline {
                    related = related.singlepart(mime_part(attachment)?);
                }
                MultiPart::alternative().singlepart(text).multipart(related)
            }
            None => MultiPart::mixed().singlepart(text),
        };
        let content = if attached.is_empty() {
            content
        } else {
            let mut mixed = MultiPart::mixed().multipart(content);
            for attachment in attached {
                let attachment = OutgoingAttachment {
                    content_id: None,
                    ..attachment
                };
                mixed = mixed.singlepart(mime_part(attachment)?);
            }
            mixed
        };
        builder
            .multipart(content)
            .map_err(|e| ServiceError::Invalid(format!("building the e-mail: {e}")))
    }

    pub(crate) fn http_post(
        &self,
        allowed_hosts: &[String],
        request: HttpPost,
    ) -> Result<HttpAnswer, ServiceError> {
        check_allowed(allowed_hosts, &request.url)?;
        let mut call = self.http.post(&request.url);
        for (name, value) in &request.headers {
            // The host header must match the allow-listed URL.
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            call = call.header(name.as_str(), value.as_str());
        }
        let mut response = call.send(&request.body[..]).map_err(|e| match e {
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                ServiceError::Invalid(format!("bad request: {e}"))
            }
            other => ServiceError::Unavailable(format!("POST {}: {other}", request.url)),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_RESPONSE_BODY)
            .read_to_end(&mut body)
            .map_err(|e| ServiceError::Unavailable(format!("reading the response: {e}")))?;
        Ok(HttpAnswer {
            status,
            headers,
            body,
        })
    }
}

/// Longest text [`qr_code_png`] draws. It bounds the work a plugin can ask for per call (an
/// image of at most ~190 kB raw pixels); an admission code is 141 characters.
pub const MAX_QR_TEXT: usize = 1024;

/// Pixels per QR module in [`qr_code_png`]'s images: an admission code (a 41-module symbol and
/// its quiet zone) comes out 294 px wide, sharp when a mail client shows it at 200 CSS px on a
/// high-density screen, and each module big enough for a phone camera.
const QR_SCALE: usize = 6;

/// `text` drawn as a QR code, as a PNG image (the `qr-code-png` host function).
pub(crate) fn qr_code_png(text: &str) -> Result<Vec<u8>, ServiceError> {
    if text.is_empty() || text.len() > MAX_QR_TEXT {
        return Err(ServiceError::Invalid(format!(
            "a QR code holds 1 to {MAX_QR_TEXT} bytes of text here, not {}",
            text.len()
        )));
    }
    crate::admission::qr::png(text, QR_SCALE)
        .ok_or_else(|| ServiceError::Invalid("the text does not fit a QR code".into()))
}

/// Longest Content-ID a plugin may give an inline part.
const MAX_CONTENT_ID: usize = 100;

/// An attachment as a MIME part: inline with its Content-ID when it has one (checked, since it
/// goes into a header as it is), else an attachment with its file name.
fn mime_part(attachment: OutgoingAttachment) -> Result<SinglePart, ServiceError> {
    let content_type = ContentType::parse(&attachment.content_type).map_err(|e| {
        ServiceError::Invalid(format!("content type `{}`: {e}", attachment.content_type))
    })?;
    let disposition = match attachment.content_id {
        Some(id) => {
            let valid = (1..=MAX_CONTENT_ID).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-_+@".contains(&b));
            if !valid {
                return Err(ServiceError::Invalid(format!(
                    "content id `{id}`: use 1 to {MAX_CONTENT_ID} ASCII letters, digits and .-_+@"
                )));
            }
            Attachment::new_inline_with_name(id, attachment.filename)
        }
        None => Attachment::new(attachment.filename),
    };
    Ok(disposition.body(attachment.data, content_type))
}

/// The one HTTP client of a [`HostServices`]: shared by every plugin and thread, so
/// keep-alive connections are reused across deliveries.
fn http_agent(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        // A redirect could lead off the allow-list.
        .max_redirects(0)
        .max_idle_connections(HTTP_IDLE_CONNECTIONS)
        .max_idle_connections_per_host(HTTP_IDLE_CONNECTIONS)
        .user_agent("prasang-plugin-host")
        .build();
    ureq::Agent::with_parts(
        config,
        DefaultConnector::default(),
        resolver::CachingResolver::new(),
    )
}

/// Checks `url` against an allow-list of `host` or `host:port` entries.
pub(crate) fn check_allowed(allowed_hosts: &[String], url: &str) -> Result<(), ServiceError> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| ServiceError::Invalid(format!("URL `{url}`: {e}")))?;
    let default_port = resolver::default_port(&uri)
        .ok_or_else(|| ServiceError::Invalid(format!("URL `{url}` is not http:// or https://")))?;
    let host = uri
        .host()
        .ok_or_else(|| ServiceError::Invalid(format!("URL `{url}` has no host")))?
        .to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(default_port);
    let allowed = allowed_hosts.iter().any(|entry| {
        match entry.rsplit_once(':') {
            // `[::1]:8080` or `host:8080`; a bare IPv6 literal has more colons and no brackets.
            Some((name, entry_port)) if !name.contains(':') || name.ends_with(']') => {
                name == host && entry_port.parse() == Ok(port)
            }
            _ => *entry == host,
        }
    });
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::Denied(format!(
            "{host}:{port} is not on the plugin's allowed-hosts list"
        )))
    }
}

/// `text` with every character other than ASCII letters, digits and `also` replaced by `_`.
fn only_ascii(text: &str, also: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || also.contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_eml(folder: &Path, message_id: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    let name = only_ascii(message_id.trim_matches(['<', '>']), "-_.@");
    let path = folder.join(format!("{name}.eml"));
    let partial = folder.join(format!(".{name}.partial"));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, &path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allow_listed_hosts_and_ports_pass() {
        let allowed = vec!["hooks.example.com".to_owned(), "127.0.0.1:9000".to_owned()];
        assert!(check_allowed(&allowed, "https://hooks.example.com/x").is_ok());
        assert!(check_allowed(&allowed, "http://HOOKS.example.com:8080/x").is_ok());
        assert!(check_allowed(&allowed, "http://127.0.0.1:9000/x").is_ok());
        assert!(matches!(
            check_allowed(&allowed, "http://127.0.0.1:9001/x"),
            Err(ServiceError::Denied(_))
        ));
        assert!(matches!(
            check_allowed(&allowed, "http://evil.example.com/x"),
            Err(ServiceError::Denied(_))
        ));
        assert!(matches!(
            check_allowed(&allowed, "http://hooks.example.com@evil.example.com/"),
            Err(ServiceError::Denied(_))
        ));
        assert!(matches!(
            check_allowed(&allowed, "file:///etc/passwd"),
            Err(ServiceError::Invalid(_))
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256, ..Default::default()
        })]

        /// Whatever e-mail a plugin asks for is built or refused as invalid, and what is built
        /// goes to exactly the recipients asked for: no header smuggled in through a subject,
        /// a display name or a file name.
        #[test]
        fn any_email_a_plugin_asks_for_is_built_or_refused(
            to in proptest::collection::vec((
                proptest::option::of(proptest::prelude::any::<String>()),
                proptest::prop_oneof!["[a-z]{1,8}@[a-z]{1,8}\\.org", proptest::prelude::any::<String>()],
            ), 0..3),
            subject in proptest::prop_oneof!["[ -~]{0,20}\r\nBcc: x@evil\\.org", proptest::prelude::any::<String>()],
            text_body in proptest::prelude::any::<String>(),
            html_body in proptest::option::of(proptest::prelude::any::<String>()),
            attachments in proptest::collection::vec((
                proptest::prop_oneof!["[ -~]{0,12}\r\nCc: y@evil\\.org", proptest::prelude::any::<String>()],
                proptest::prop_oneof!["text/calendar", "[a-z/;= -]{0,20}", proptest::prelude::any::<String>()],
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
                proptest::option::of(proptest::prop_oneof![
                    "[a-z0-9.@-]{1,20}",
                    "[a-z]{0,8}>\r\nBcc: z@evil\\.org",
                    proptest::prelude::any::<String>(),
                ]),
            ), 0..3),
        ) {
            let recipients = to.len();
            let email = OutgoingEmail {
                to,
                subject,
                text_body,
                html_body,
                attachments: attachments
                    .into_iter()
                    .map(|(filename, content_type, data, content_id)| OutgoingAttachment {
                        filename, content_type, data, content_id,
                    })
                    .collect(),
            };
            let services = HostServices::outbox("unused");
            match services.build_message(email, "<k@prasang.localhost>") {
                Ok(message) => {
                    let formatted = message.formatted();
                    let parsed = mail_parser::MessageParser::default().parse(&formatted);
                    let parsed = parsed.expect("a built e-mail parses");
                    let to = parsed.to().map(|to| to.iter().count()).unwrap_or_default();
                    proptest::prop_assert_eq!(to, recipients);
                    proptest::prop_assert!(parsed.bcc().is_none() && parsed.cc().is_none());
                }
                Err(ServiceError::Invalid(_)) => {}
                Err(other) => proptest::prop_assert!(false, "{other:?}"),
            }
        }

        /// A URL passes the allow-list only when it points at an allow-listed host and port.
        #[test]
        fn any_url_passes_only_to_an_allow_listed_host(url in proptest::prop_oneof![
            proptest::prelude::any::<String>(),
            "(https?|ftp|file)://[a-zA-Z.@:0-9\\[\\]%_-]{0,30}(/[ -~]{0,10})?",
            "https?://(hooks\\.example\\.com|127\\.0\\.0\\.1)[:@.a-z0-9]{0,12}(/[ -~]{0,10})?",
        ]) {
            let allowed = vec!["hooks.example.com".to_owned(), "127.0.0.1:9000".to_owned()];
            if check_allowed(&allowed, &url).is_ok() {
                let uri: ureq::http::Uri = url.parse().expect("an allowed URL parses");
                let host = uri.host().expect("an allowed URL has a host").to_ascii_lowercase();
                let port = uri.port_u16().or(resolver::default_port(&uri));
                proptest::prop_assert!(
                    host == "hooks.example.com" || (host == "127.0.0.1" && port == Some(9000)),
                    "{} passed as {}:{:?}", url, host, port
                );
            }
        }
    }

    /// An attachment named `name` of `data`, shown inline as `cid:<content_id>` when given.
    fn part(name: &str, content_type: &str, content_id: Option<&str>) -> OutgoingAttachment {
        OutgoingAttachment {
            filename: name.into(),
            content_type: content_type.into(),
            data: name.as_bytes().to_vec(),
            content_id: content_id.map(str::to_owned),
        }
    }

    fn email(html_body: Option<&str>, attachments: Vec<OutgoingAttachment>) -> OutgoingEmail {
        OutgoingEmail {
            to: vec![(None, "ada@example.org".into())],
            subject: "Booked".into(),
            text_body: "Seat 1: CODE".into(),
            html_body: html_body.map(str::to_owned),
            attachments,
        }
    }

    #[test]
    fn inline_parts_go_beside_the_html_in_multipart_related_and_files_stay_attached() {
        use mail_parser::{MessageParser, MimeHeaders, PartType};
        let services = HostServices::outbox("unused");
        let html = r#"<img src="cid:seat1.t@prasang"><img src="cid:seat2.t@prasang">"#;
        let message = services
            .build_message(
                email(
                    Some(html),
                    vec![
                        part("seat-1.png", "image/png", Some("seat1.t@prasang")),
                        part("event.ics", "text/calendar", None),
                        part("seat-2.png", "image/png", Some("seat2.t@prasang")),
                    ],
                ),
                "<k@prasang.localhost>",
            )
            .unwrap();
        let formatted = message.formatted();
        let parsed = MessageParser::default().parse(&formatted).unwrap();
        let tree: Vec<String> = parsed
            .parts
            .iter()
            .map(|p| {
                let kind = p.content_type().map_or("?".to_owned(), |t| {
                    format!("{}/{}", t.ctype(), t.subtype().unwrap_or("?"))
                });
                match p.content_id() {
                    Some(id) => format!("{kind} <{id}>"),
                    None => kind,
                }
            })
            .collect();
        assert_eq!(
            tree,
            [
                "multipart/mixed",
                "multipart/alternative",
                "text/plain",
                "multipart/related",
                "text/html",
                "image/png <seat1.t@prasang>",
                "image/png <seat2.t@prasang>",
                "text/calendar",
            ]
        );
        assert_eq!(parsed.body_html(0).as_deref(), Some(html));
        let inline: Vec<_> = parsed
            .parts
            .iter()
            .filter(|p| p.content_id().is_some())
            .collect();
        for part in &inline {
            assert!(matches!(
                part.body,
                PartType::Binary(_) | PartType::InlineBinary(_)
            ));
            let disposition = part.content_disposition().unwrap();
            assert!(disposition.is_inline(), "{disposition:?}");
        }
        assert_eq!(inline[0].contents(), b"seat-1.png");
        assert_eq!(inline[0].attachment_name(), Some("seat-1.png"));
    }

    #[test]
    fn without_html_inline_parts_are_attachments_and_a_bad_content_id_is_refused() {
        use mail_parser::{MessageParser, MimeHeaders};
        let services = HostServices::outbox("unused");
        let plain = services
            .build_message(
                email(None, vec![part("seat-1.png", "image/png", Some("s1"))]),
                "<k@prasang.localhost>",
            )
            .unwrap();
        let formatted = plain.formatted();
        let parsed = MessageParser::default().parse(&formatted).unwrap();
        let attachment = parsed.attachments().next().unwrap();
        assert_eq!(attachment.content_id(), None);
        assert_eq!(attachment.attachment_name(), Some("seat-1.png"));

        for bad in [
            "",
            "a b",
            "x>\r\nBcc: y@evil.org",
            &"x".repeat(MAX_CONTENT_ID + 1),
        ] {
            let refused = services.build_message(
                email(
                    Some("<p>hi</p>"),
                    vec![part("a.png", "image/png", Some(bad))],
                ),
                "<k@prasang.localhost>",
            );
            assert!(
                matches!(&refused, Err(ServiceError::Invalid(why)) if why.contains("content id")),
                "{bad:?}: {refused:?}"
            );
        }
    }

    #[test]
    fn qr_codes_are_drawn_for_text_up_to_the_limit_only() {
        let code = "A".repeat(141);
        let png = qr_code_png(&code).unwrap();
        assert_eq!(Some(png), crate::admission::qr::png(&code, QR_SCALE));
        assert!(qr_code_png(&"é".repeat(MAX_QR_TEXT / 2)).is_ok());
        for refused in [String::new(), "x".repeat(MAX_QR_TEXT + 1)] {
            assert!(matches!(
                qr_code_png(&refused),
                Err(ServiceError::Invalid(_))
            ));
        }
    }

    #[test]
    fn message_ids_follow_the_idempotency_key() {
        let services = HostServices::outbox("unused");
        assert_eq!(
            services.message_id("42.01J.email", 0),
            "<42.01J.email@prasang.localhost>"
        );
        assert_eq!(
            services.message_id("42 01J<x>", 1),
            "<42_01J_x_.1@prasang.localhost>"
        );
    }
}
