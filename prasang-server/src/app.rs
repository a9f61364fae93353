//! The application: a bound listener plus shared state, served until a shutdown signal.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use prasang_core::plugin_host::{ChannelReport, ChannelSettings, PluginHostError};
use prasang_core::{Config, OpenError, Prasang, StoreError};
use tokio::net::TcpListener;

use crate::gateway::RateLimiter;
use crate::metrics::Metrics;
use crate::problem::{ApiError, RequestError};
use crate::request::{Ctx, read_body};
use crate::router::{Found, Router};
use crate::routes::{Route, served};
use crate::state::State;

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The core store settings (`Config::temporary()` in tests).
    pub store: Config,
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// How long one request may take before it is answered with 503.
    pub request_timeout: Duration,
    /// Login and registration attempts per client address per minute (0: unlimited).
    pub auth_rate_per_minute: u32,
    /// Attempts a client may make at once before the per-minute rate applies.
    pub auth_burst: u32,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Notification channel plugins to load into the store before it opens (and its delivery
    /// policy: see [`ChannelSettings::load`]). `None`: the store's `Config` is used as it is.
    pub channels: Option<ChannelSettings>,
    /// The web UI's settings (cookie security, CSRF secret).
    pub web: crate::web::WebSettings,
}

impl ServerConfig {
    /// Defaults around a store configuration: 127.0.0.1:8080, 64 KiB bodies, 10 s timeout,
    /// 10 login/registration attempts per minute per address with a burst of 20.
    pub fn new(store: Config) -> Self {
        ServerConfig {
            store,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(10),
            auth_rate_per_minute: 10,
            auth_burst: 20,
            shutdown_grace: Duration::from_secs(30),
            channels: None,
            web: crate::web::WebSettings::default(),
        }
    }

    /// A throwaway server for tests: temporary store, port 0, no channel plugins.
    pub fn temporary() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..ServerConfig::new(Config::temporary())
        }
    }
}

/// Failure to start or stop the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store could not be opened.
    #[error("the store could not be opened: {0}")]
    Open(#[from] OpenError),
    /// The store could not be flushed.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("could not listen: {0}")]
    Io(#[from] std::io::Error),
    /// The plugin host could not start, the plugins folder could not be read, or a mail
    /// setting is unusable.
    #[error("notification channels: {0}")]
    Channels(#[from] PluginHostError),
}

/// A server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    server: Arc<Server>,
    shutdown_grace: Duration,
    channels: Option<ChannelReport>,
}

/// The shared state and the two tables on top of it: the REST routes and the web pages.
struct Server {
    state: Arc<State>,
    /// Every route served, in the order of [`served`] (the router's and the metrics' indexes).
    routes: Vec<&'static Route>,
    router: Router,
    web: crate::web::Web,
}

impl Application {
    /// Loads the channel plugins (when [`ServerConfig::channels`] says so), opens the store and
    /// binds the listener.
    pub async fn build(config: ServerConfig) -> Result<Application, ServerError> {
        let store = config.store.clone();
        let channels = config.channels.clone();
        let (prasang, report) = tokio::task::spawn_blocking(move || {
            let (store, report) = match &channels {
                Some(settings) => {
                    let (store, report) = settings.load(store)?;
                    (store, Some(report))
                }
                None => (store, None),
            };
            Ok::<_, ServerError>((Prasang::open(store)?, report))
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
        let mut app = Self::with_store(prasang, config).await?;
        app.channels = report;
        Ok(app)
    }

    /// Serves an already-open store (for embedders and the demo loader). The store keeps the
    /// channels it was opened with: [`ServerConfig::channels`] is not used here.
    pub async fn with_store(
        prasang: Prasang,
        config: ServerConfig,
    ) -> Result<Application, ServerError> {
        let listener = TcpListener::bind(config.bind).await?;
        let address = listener.local_addr()?;
        let jwks = Bytes::from(prasang.auth().jwks().to_string());
        let openapi = Bytes::from(crate::openapi::document().to_string());
        let web = crate::web::Web::new(&config.web)?;
        let routes: Vec<&'static Route> = served().collect();
        let labels = routes.iter().map(|route| (route.method, route.path));
        let state = Arc::new(State {
            prasang,
            limiter: RateLimiter::new(config.auth_rate_per_minute, config.auth_burst),
            metrics: Arc::new(Metrics::new(labels.clone())),
            jwks,
            openapi,
            max_body_bytes: config.max_body_bytes,
            request_timeout: config.request_timeout,
        });
        Ok(Application {
            listener,
            address,
            server: Arc::new(Server {
                state,
                router: Router::over(labels),
                routes,
                web,
            }),
            shutdown_grace: config.shutdown_grace,
            channels: None,
        })
    }

    /// The bound address (with the real port when port 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The store the server runs on.
    pub fn prasang(&self) -> &Prasang {
        &self.server.state.prasang
    }

    /// What loading the channel plugins did, when [`Application::build`] loaded them.
    pub fn channels(&self) -> Option<&ChannelReport> {
        self.channels.as_ref()
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests finish
    /// (up to the grace period) and flushes the store.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let Application {
            listener,
            server,
            shutdown_grace,
            ..
        } = self;
        let graceful = GracefulShutdown::new();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .keep_alive(true);
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Usually out of file descriptors: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let server = Arc::clone(&server);
            let service = service_fn(move |request| {
                let server = Arc::clone(&server);
                async move { Ok::<_, Infallible>(dispatch(server, peer.ip(), request).await) }
            });
            let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "connection ended with an error");
                }
            });
        }
        drop(listener);
        tracing::info!("shutting down: finishing in-flight requests");
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(shutdown_grace) => {
                tracing::warn!("grace period over; dropping remaining connections");
            }
        }
        let prasang = server.state.prasang.clone();
        tokio::task::spawn_blocking(move || prasang.flush())
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))??;
        tracing::info!("store flushed; bye");
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

async fn dispatch(
    server: Arc<Server>,
    client_ip: IpAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let state = &server.state;
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (route, response) = match server.router.find(method.as_str(), &path) {
        Found::Route(index, params) => {
            let outcome = tokio::time::timeout(
                state.request_timeout,
                handle(state, server.routes[index], params, client_ip, request),
            )
            .await
            .unwrap_or(Err(ApiError::Request(RequestError::Timeout)));
            (Some(index), outcome)
        }
        // Everything outside the API is the web UI's (which has its own HTML 404).
        Found::NotFound if !path.starts_with("/api/") => {
            let response =
                crate::web::dispatch(Arc::clone(state), &server.web, client_ip, request).await;
            let elapsed = started.elapsed();
            state.metrics.page(response.status().as_u16(), elapsed);
            tracing::debug!(%method, %path, status = response.status().as_u16(), ?elapsed, "page");
            return response;
        }
        Found::NotFound => (None, Err(RequestError::RouteNotFound.into())),
        Found::WrongMethod(allow) => (None, Err(RequestError::MethodNotAllowed { allow }.into())),
    };
    let response = response.unwrap_or_else(|error| error.problem().into_response());
    let elapsed = started.elapsed();
    state
        .metrics
        .request(route, response.status().as_u16(), elapsed);
    tracing::debug!(%method, %path, status = response.status().as_u16(), ?elapsed, "request");
    response
}

async fn handle(
    state: &Arc<State>,
    route: &Route,
    params: Vec<(String, String)>,
    client_ip: IpAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    if route.rate_limited
        && let Err(retry_after) = state.limiter.check(client_ip)
    {
        return Err(RequestError::RateLimited { retry_after }.into());
    }
    let (parts, body) = request.into_parts();
    let body = read_body(state, &parts, body).await?;
    let cx = Ctx {
        state: Arc::clone(state),
        headers: parts.headers,
        params,
        query: parts.uri.query().map(str::to_owned),
        body,
        client_ip,
    };
    (route.handler)(cx).await
}
