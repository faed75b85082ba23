//! The local web server of `nn playground`: the page (embedded), its JSON commands, and the
//! frames as server-sent events. It listens on 127.0.0.1 only and answers only requests whose
//! `Host` (and `Origin`, if any) is itself, and forbids framing the page, so other web sites
//! can neither read its state nor send it commands (a link to it still opens an exercise).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;

use axum::extract::{Request as HttpRequest, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use tokio::sync::{oneshot, watch};

use crate::settings::Settings;
use crate::trainer::{Command, Request, Trainer};

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");

/// What to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Where "save" writes models.
    pub folder: PathBuf,
    /// The exercise at the start (a page with a URL hash replaces it).
    pub settings: Settings,
}

/// The handlers' shared state.
#[derive(Clone)]
struct App {
    requests: mpsc::Sender<Request>,
    frames: watch::Receiver<Arc<String>>,
    data: watch::Receiver<Arc<String>>,
    hosts: Arc<[String; 2]>,
}

/// Serves the playground until the process ends; `ready` is called with the address once it
/// listens.
///
/// # Errors
///
/// The port cannot be bound, or the settings are out of range.
pub fn serve(options: ServeOptions, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
        let address = listener.local_addr()?;
        let trainer = Trainer::new(options.settings, &options.folder)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let (frames_tx, frames) = watch::channel(Arc::new(trainer.frame_json()));
        let (data_tx, data) = watch::channel(Arc::new(trainer.data_json()));
        let (requests, requests_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("playground-trainer".into())
            .spawn(move || trainer.run(requests_rx, frames_tx, data_tx))?;
        let port = address.port();
        let app = App {
            requests,
            frames,
            data,
            hosts: Arc::new([format!("127.0.0.1:{port}"), format!("localhost:{port}")]),
        };
        ready(address);
        axum::serve(listener, router(app)).await
    })
}

fn router(app: App) -> Router {
    Router::new()
        .route("/", get(|| async { Html(INDEX_HTML) }))
        .route(
            "/app.js",
            get(|| async { asset("text/javascript", APP_JS) }),
        )
        .route("/style.css", get(|| async { asset("text/css", STYLE_CSS) }))
        .route("/events", get(events))
        .route("/api/state", get(latest_frame))
        .route("/api/data", get(latest_data))
        .route("/api/command", post(command))
        .layer(middleware::from_fn_with_state(app.clone(), same_host))
        .with_state(app)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Refuses a request whose `Host` is not this server (DNS rebinding), or whose `Origin` is
/// another site (a page elsewhere posting commands).
async fn same_host(State(app): State<App>, request: HttpRequest, next: Next) -> Response {
    let headers = request.headers();
    let host_ok = header_str(headers, header::HOST).is_some_and(|h| app.hosts.contains(&h));
    let origin_ok = match header_str(headers, header::ORIGIN) {
        None => true,
        Some(origin) => origin
            .strip_prefix("http://")
            .is_some_and(|h| app.hosts.iter().any(|a| a == h)),
    };
    if host_ok && origin_ok {
        let mut response = next.run(request).await;
        // No other site may frame the page (and have its buttons clicked through it).
        let headers = response.headers_mut();
        headers.insert(
            header::X_FRAME_OPTIONS,
            header::HeaderValue::from_static("DENY"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static("frame-ancestors 'none'"),
        );
        response
    } else {
        let text = format!("this server answers only pages of http://{}", app.hosts[0]);
        (StatusCode::FORBIDDEN, text).into_response()
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

fn json_response(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_owned(),
    )
        .into_response()
}

async fn latest_frame(State(app): State<App>) -> Response {
    json_response(&app.frames.borrow())
}

async fn latest_data(State(app): State<App>) -> Response {
    json_response(&app.data.borrow())
}

/// The frames, as they come: the latest at once, then each new one.
async fn events(State(app): State<App>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold((app.frames, true), |(mut rx, first)| async move {
        if !first {
            rx.changed().await.ok()?;
        }
        let json = rx.borrow_and_update().clone();
        Some((Ok(Event::default().data(json.as_str())), (rx, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Hands a command to the trainer and answers with its reply: 200 and the state, or 400 and
/// `{"error": …}`.
async fn command(State(app): State<App>, Json(command): Json<Command>) -> Response {
    let (reply, answer) = oneshot::channel();
    if app.requests.send(Request { command, reply }).is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "the trainer has stopped").into_response();
    }
    match answer.await {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(error)) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": error})),
        )
            .into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "the trainer has stopped").into_response(),
    }
}
