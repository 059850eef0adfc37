//! The page a sign-in ends on.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portico_wire::message::FromSignIn;
use portico_wire::{AttemptStatus, AuthWindow, ErrorCode, ErrorDetail};

use crate::clock::random_hex;
use crate::store::oauth::AttemptRow;
use crate::AppState;

pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The page the popup ends on: it tells its opener (exact Portico origin) and closes; in redirect
/// mode the browser goes back to the host page instead. The page also says what happened in words,
/// for when it cannot close itself.
pub(super) fn outcome_page(
    state: &AppState,
    attempt: Option<&AttemptRow>,
    name: Option<&str>,
    status: AttemptStatus,
    connection: Option<&portico_wire::ConnectionView>,
    error: Option<(ErrorCode, &str)>,
) -> Response {
    if let Some(a) = attempt.filter(|a| a.mode == AuthWindow::Redirect) {
        if let Some(return_to) = a.return_to.as_deref().and_then(|u| url::Url::parse(u).ok()) {
            let mut back = return_to;
            back.query_pairs_mut().append_pair("portico_attempt", &a.id);
            let mut response = Redirect::to(back.as_str()).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return response;
        }
    }
    let origin = url::Url::parse(&state.config.public_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| state.config.public_url.clone());
    let message = FromSignIn::OAuthResult {
        attempt_id: attempt.map(|a| a.id.clone()),
        status,
        connection: connection.cloned(),
        error: error.map(|(code, message)| ErrorDetail { code, message: message.to_string() }),
    };
    // `<` escaped so the JSON cannot close the script element.
    let data = serde_json::to_string(&message).unwrap_or_default().replace('<', "\\u003c");
    let nonce = random_hex(state.entropy.as_ref(), 16);
    let (title, text) = match (status, error) {
        (AttemptStatus::Succeeded, _) => (
            format!("Connected to {}", name.unwrap_or("the integration")),
            "You can close this window and return to the app.".to_string(),
        ),
        (_, Some((_, message))) => ("Could not connect".to_string(), message.to_string()),
        _ => ("Could not connect".to_string(), "Close this window and try again.".to_string()),
    };
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f6f7f9;color:#1a1d21}}main{{max-width:28rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}}h1{{font-size:1.25rem;margin:0 0 .5rem}}</style>
</head><body><main role="status" data-testid="oauth-outcome" data-status="{status}"><h1>{title}</h1><p>{text}</p></main>
<script type="application/json" id="portico-result">{data}</script>
<script nonce="{nonce}">
(function () {{
  var result = JSON.parse(document.getElementById("portico-result").textContent);
  try {{ if (window.opener) window.opener.postMessage(result, {origin_json}); }} catch (e) {{}}
  setTimeout(function () {{ window.close(); }}, 150);
}})();
</script></body></html>"#,
        title = html_escape(&title),
        text = html_escape(&text),
        status = html_escape(status.as_str()),
        origin_json = serde_json::Value::String(origin).to_string().replace('<', "\\u003c"),
    );
    let mut response = (
        page_status(error.map(|(code, _)| code)),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response();
    let csp = format!("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The status the page is sent with: a request that names no live sign-in (a forged, missing,
/// used or expired `state` or attempt, an answer from the wrong issuer) is the browser's error,
/// 400; our own failure 500; an outcome the provider decided (success, denial) 200.
fn page_status(error: Option<ErrorCode>) -> StatusCode {
    match error {
        Some(ErrorCode::StateInvalid | ErrorCode::StateUsed | ErrorCode::StateExpired | ErrorCode::IssuerMismatch) => {
            StatusCode::BAD_REQUEST
        }
        Some(ErrorCode::InternalError) => StatusCode::INTERNAL_SERVER_ERROR,
        Some(ErrorCode::RateLimited) => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::OK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(html_escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
