//! Logging. Spans carry workspace, platform and connection ids; request spans name the matched
//! route template (`/connect/{link}`), never the URI, so a path that carries a code never reaches
//! a log line.

use axum::extract::MatchedPath;
use axum::http::Request;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("PORTICO_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn,hyper=warn,leptos=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// The span of one HTTP request: method and route template only.
pub fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
    tracing::info_span!("request", method = %request.method(), route, workspace = tracing::field::Empty)
}
