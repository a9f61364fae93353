//! The host's TLS: `https://` POSTs and SMTP with STARTTLS or implicit TLS really start a TLS
//! handshake, and plain modes stay plain. Raw in-test listeners look at the first bytes the host
//! sends (a TLS ClientHello, or plain HTTP / SMTP commands) and then hang up, so no certificate
//! is needed: each delivery ends as a temporary failure, after the bytes have been checked.
#![cfg(feature = "plugins")]

mod plugin_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use prasang_core::notify::{Channel, DeliveryError};
use prasang_core::plugin_host::{HostServices, PluginHost, SmtpSettings, SmtpTls};

/// A listener on a free loopback port that runs `talk` on the first connection it accepts
/// and hands back what `talk` returns. Panics (so joining fails the test) if no connection
/// comes within 10 s.
fn serve_once<T: Send + 'static>(
    talk: impl FnOnce(&mut BufReader<TcpStream>) -> T + Send + 'static,
) -> (u16, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the host never connected"
                    );
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        talk(&mut reader)
        // Dropping the stream hangs up on the host.
    });
    (port, handle)
}

/// The first `n` bytes the client sends.
fn first_bytes(reader: &mut BufReader<TcpStream>, n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    reader.read_exact(&mut bytes).unwrap();
    bytes
}

/// Asserts that `bytes` start a TLS handshake record (0x16, version 3.x) holding a ClientHello
/// (handshake type 1); `what` says where they came from.
fn assert_client_hello(what: &str, bytes: &[u8]) {
    let hello = bytes.len() >= 6
        && bytes[0] == 0x16
        && bytes[1] == 0x03
        && bytes[2] <= 0x04
        && bytes[5] == 1;
    assert!(
        hello,
        "{what}: expected a TLS ClientHello, got {bytes:02x?} ({:?})",
        String::from_utf8_lossy(bytes)
    );
}

fn line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

fn say(reader: &mut BufReader<TcpStream>, text: &str) {
    reader.get_mut().write_all(text.as_bytes()).unwrap();
}

fn assert_temporary(result: Result<prasang_core::notify::Receipt, DeliveryError>) {
    assert!(
        matches!(&result, Err(DeliveryError::Temporary(_))),
        "expected a temporary failure, got {result:?}"
    );
}

/// Delivers a booking through the bundled HTTP plugin `id`, whose URL setting `url_key` points
/// at `url`, with 127.0.0.1:`port` allow-listed.
fn post_through(
    id: &str,
    url_key: &str,
    port: u16,
    url: &str,
) -> Result<prasang_core::notify::Receipt, DeliveryError> {
    let outbox = tempfile::tempdir().unwrap();
    let services = HostServices::outbox(outbox.path()).with_http_timeout(Duration::from_secs(5));
    let host = PluginHost::new(services).unwrap();
    let mut manifest = plugin_support::manifest(id);
    manifest.allowed_hosts.push(format!("127.0.0.1:{port}"));
    manifest.config.insert(url_key.into(), url.into());
    manifest.config.insert(
        "secret".into(),
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
    );
    let channel = host.load_manifest(manifest).unwrap();
    channel.deliver(&plugin_support::booked(id))
}

#[test]
fn https_webhooks_open_a_tls_connection() {
    // The webhook plugin, and the chat plugin the way it posts to a Slack webhook.
    for (id, url_key, path) in [
        ("webhook", "url", "/hooks/prasang"),
        ("chat", "webhook-url", "/services/T000/B000/XXXX"),
    ] {
        let (port, server) = serve_once(|reader| first_bytes(reader, 6));
        let result = post_through(
            id,
            url_key,
            port,
            &format!("https://127.0.0.1:{port}{path}"),
        );
        let bytes = server.join().unwrap();
        assert_client_hello(id, &bytes);
        assert_temporary(result);
    }
}

#[test]
fn a_plain_http_webhook_still_sends_plain_http() {
    let (port, server) = serve_once(line);
    let result = post_through(
        "webhook",
        "url",
        port,
        &format!("http://127.0.0.1:{port}/hooks/prasang"),
    );
    let request_line = server.join().unwrap();
    assert_eq!(request_line, "POST /hooks/prasang HTTP/1.1\r\n");
    assert_temporary(result);
}

/// An e-mail host sending through 127.0.0.1:`port` with `tls`.
fn email_through(port: u16, tls: SmtpTls) -> Result<prasang_core::notify::Receipt, DeliveryError> {
    let mut settings = SmtpSettings::new("127.0.0.1", port);
    settings.tls = tls;
    settings.timeout = Duration::from_secs(5);
    let host = PluginHost::new(HostServices::smtp(settings).unwrap()).unwrap();
    let email = host
        .load(plugin_support::plugins_dir().join("email.toml"))
        .unwrap();
    email.deliver(&plugin_support::booked("email"))
}

/// Greets, answers every EHLO with the given extensions, and returns the client's first
/// command that is not an EHLO (the host asks twice: lettre keeps only some extensions).
fn greet(reader: &mut BufReader<TcpStream>, extensions: &[&str]) -> String {
    say(reader, "220 tls-test ESMTP\r\n");
    let ehlo = line(reader);
    assert!(ehlo.starts_with("EHLO "), "expected EHLO, got {ehlo:?}");
    let mut answer = String::from("250-tls-test\r\n");
    for extension in extensions {
        answer.push_str(&format!("250-{extension}\r\n"));
    }
    answer.push_str("250 8BITMIME\r\n");
    loop {
        say(reader, &answer);
        let command = line(reader);
        if !command.starts_with("EHLO ") {
            return command;
        }
    }
}

#[test]
fn smtp_starttls_upgrades_before_sending_anything() {
    let (port, server) = serve_once(|reader| {
        let command = greet(reader, &["STARTTLS"]);
        say(reader, "220 ready to start TLS\r\n");
        (command, first_bytes(reader, 6))
    });
    let result = email_through(port, SmtpTls::StartTls);
    let (command, bytes) = server.join().unwrap();
    assert_eq!(command, "STARTTLS\r\n");
    assert_client_hello("after STARTTLS", &bytes);
    assert_temporary(result);
}

#[test]
fn smtp_starttls_never_falls_back_to_plain() {
    // The server does not offer STARTTLS: the host must give up, not send the mail in clear.
    let (port, server) = serve_once(|reader| {
        let command = greet(reader, &[]);
        if command.starts_with("MAIL") {
            say(reader, "250 OK\r\n");
        }
        command
    });
    let result = email_through(port, SmtpTls::StartTls);
    let command = server.join().unwrap();
    assert!(
        !command.starts_with("MAIL"),
        "the mail went out without TLS: {command:?}"
    );
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn smtp_implicit_tls_starts_with_a_client_hello() {
    let (port, server) = serve_once(|reader| first_bytes(reader, 6));
    let result = email_through(port, SmtpTls::Tls);
    let bytes = server.join().unwrap();
    assert_client_hello("first bytes with implicit TLS", &bytes);
    assert_temporary(result);
}

#[test]
fn smtp_without_tls_stays_plain_even_when_starttls_is_offered() {
    let (port, server) = serve_once(|reader| greet(reader, &["STARTTLS"]));
    let result = email_through(port, SmtpTls::None);
    let command = server.join().unwrap();
    assert!(
        command.starts_with("MAIL FROM:"),
        "expected MAIL FROM, got {command:?}"
    );
    assert_temporary(result);
}

#[test]
fn an_smtp_host_that_cannot_carry_a_certificate_is_refused_up_front() {
    let mut settings = SmtpSettings::new("mail relay.example", 587);
    settings.tls = SmtpTls::StartTls;
    let error = HostServices::smtp(settings)
        .err()
        .expect("a host name with a space cannot be checked against a certificate");
    assert!(error.to_string().contains("mail relay.example"), "{error}");
}
