//! A cookie-keeping client that uses the web UI as a browser without JavaScript would: it keeps
//! cookies, and posts forms with this browser's CSRF token and this site's `Origin`.

use std::collections::BTreeMap;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode};
use prasang_http_client::Reply;

use super::TestApp;

/// A cookie-keeping client that posts forms like a browser (with `Origin`).
pub struct Browser<'a> {
    app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: BTreeMap::new(),
        }
    }

    /// A browser in which `email` (registered, password `password123`) has logged in.
    pub async fn logged_in(app: &'a TestApp, email: &str) -> Self {
        let mut browser = Browser::new(app);
        browser.log_in(email).await;
        browser
    }

    /// A browser in which a newly registered organizer, `org@example.org`, has logged in.
    pub async fn organizer(app: &'a TestApp) -> Self {
        app.register("org@example.org", "organizer").await;
        Browser::logged_in(app, "org@example.org").await
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let request = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header("host", "localhost")
            .header("cookie", self.cookie_header())
            .body(Full::new(Bytes::new()))
            .unwrap();
        let reply = self.app.raw(request).await;
        self.keep_cookies(&reply);
        reply
    }

    pub async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("host", "localhost")
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let reply = self
            .app
            .raw(request.body(Full::new(Bytes::from(body))).unwrap())
            .await;
        self.keep_cookies(&reply);
        reply
    }

    /// The CSRF token in the forms of `path`.
    pub async fn token(&mut self, path: &str) -> String {
        let page = text(&self.get(path).await);
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).expect("the page has a form") + marker.len();
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    }

    /// Posts a form of this site with this browser's token.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let token = self.token("/login").await;
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all, Some("http://localhost")).await
    }

    pub async fn log_in(&mut self, email: &str) {
        let reply = self
            .submit(
                "/login",
                &[
                    ("email", email),
                    ("password", "password123"),
                    ("next", "/me/tickets"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
        assert_eq!(reply.header("location"), Some("/me/tickets"));
    }
}

pub fn text(reply: &Reply) -> String {
    String::from_utf8(reply.body.to_vec()).unwrap()
}

pub fn assert_html(reply: &Reply) {
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(text(reply).starts_with("<!DOCTYPE html>"));
}
