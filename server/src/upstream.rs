//! How Portico reaches a provider: the upstream URL (API base + the caller's path, never leaving
//! the base), credential injection from the catalog's templates, and an HTTP client that follows
//! no redirects, times out, and refuses loopback / private / link-local / CGNAT / ULA addresses
//! unless the operator allow-listed the origin. Used by passthrough and by the verification
//! request a connect form runs before storing a credential.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue};
use portico_catalog::{Platform, Template};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::config::Config;

mod client;
pub use crate::credentials::Credentials;
pub use client::{PassthroughClient, SendError, UpstreamBody};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    #[error("the path is not allowed: {0}")]
    BadPath(&'static str),
    #[error("the connection's settings do not form a valid API URL: {0}")]
    BadBase(String),
    #[error("a credential template could not be filled: {0}")]
    Template(String),
    #[error("the upstream address {0} is private and not allow-listed")]
    PrivateAddress(String),
}

/// `connectionConfig` values may end up in a host name: letters, digits, `-`, `.` and `_` only,
/// so a value can never add a path, a port, credentials or another host.
fn url_safe(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

fn render_url(template: &Template, creds: &Credentials) -> Result<Url, UpstreamError> {
    for var in template.variables() {
        if let Some(value) = creds.get(var) {
            if !url_safe(value) {
                return Err(UpstreamError::BadBase(format!("`{var}` may only hold letters, digits, `-`, `.` and `_`")));
            }
            if portico_catalog::is_only_dots(value) {
                return Err(UpstreamError::BadBase(format!("`{var}` cannot be made only of dots")));
            }
        }
    }
    let text = template.render(|n| creds.get(n)).map_err(|e| UpstreamError::BadBase(e.to_string()))?;
    let url = Url::parse(&text).map_err(|e| UpstreamError::BadBase(e.to_string()))?;
    if !is_plain_http_base(&url) || url.query().is_some() || url.fragment().is_some() {
        return Err(UpstreamError::BadBase("not an http(s) base URL without credentials".into()));
    }
    Ok(url)
}

/// The platform's API base for this connection.
pub fn api_base(platform: &Platform, creds: &Credentials) -> Result<Url, UpstreamError> {
    render_url(&platform.api_base_url, creds)
}

/// The API bases that need no connection settings, parsed once at start-up rather than on every
/// passthrough call (a URL parse was a tenth of a call's instructions).
#[derive(Debug, Default)]
pub struct FixedBases(HashMap<String, Url>);

impl FixedBases {
    pub fn new<'a>(platforms: impl IntoIterator<Item = &'a Platform>) -> Self {
        let fixed = platforms
            .into_iter()
            .filter(|p| p.api_base_url.variables().next().is_none())
            .filter_map(|p| Some((p.slug.clone(), api_base(p, &Credentials::default()).ok()?)))
            .collect();
        FixedBases(fixed)
    }

    /// The same answer as [`api_base`], from the start-up parse when there is one.
    pub fn base_for<'a>(&'a self, platform: &Platform, creds: &Credentials) -> Result<Cow<'a, Url>, UpstreamError> {
        match self.0.get(&platform.slug) {
            Some(base) => Ok(Cow::Borrowed(base)),
            None => api_base(platform, creds).map(Cow::Owned),
        }
    }
}

/// Whether `haystack` contains `needle` (ASCII, lower case) in any letter case.
fn contains_ignore_case(haystack: &str, needle: &[u8]) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether a path segment means "this" or "parent" directory: `.` or `..`, with any dot spelled
/// `%2e` or `%2E`.
fn is_dot_segment(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let (mut i, mut dots) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == b'.' {
            i += 1;
        } else if bytes.len() - i >= 3 && bytes[i..i + 3].eq_ignore_ascii_case(b"%2e") {
            i += 3;
        } else {
            return false;
        }
        dots += 1;
    }
    (1..=2).contains(&dots)
}

/// Joins the caller's raw (still percent-encoded) path and query onto the base, refusing anything
/// that could leave it: `..` in any spelling, backslashes, `//`, control characters, or a result
/// whose origin or path prefix differs from the base's. The base is an `http(s)` URL without
/// credentials ([`api_base`] makes sure); the join runs on every passthrough call, so it
/// allocates only the URL it returns.
pub fn join(base: &Url, raw_path: &str, raw_query: Option<&str>) -> Result<Url, UpstreamError> {
    if raw_path.starts_with('/') || raw_path.contains("//") {
        return Err(UpstreamError::BadPath("empty segments (`//`) are not allowed"));
    }
    if raw_path.contains('\\') || contains_ignore_case(raw_path, b"%5c") {
        return Err(UpstreamError::BadPath("backslashes are not allowed"));
    }
    if contains_ignore_case(raw_path, b"%2f") {
        return Err(UpstreamError::BadPath("encoded slashes are not allowed"));
    }
    if raw_path.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'#' || b == b'?') {
        return Err(UpstreamError::BadPath("control characters, spaces, `#` and `?` are not allowed in the path"));
    }
    if raw_path.split('/').any(is_dot_segment) {
        return Err(UpstreamError::BadPath("`.` and `..` segments are not allowed"));
    }
    if raw_path.contains("%25") {
        return Err(UpstreamError::BadPath("double percent-encoding is not allowed"));
    }
    if let Some(q) = raw_query {
        if q.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'#') {
            return Err(UpstreamError::BadPath("control characters, spaces and `#` are not allowed in the query"));
        }
    }
    if !is_plain_http_base(base) {
        return Err(UpstreamError::BadBase("not an http(s) base URL without credentials".into()));
    }
    let base_path = base.path().trim_end_matches('/');
    let mut path = String::with_capacity(base_path.len() + 1 + raw_path.len());
    path.push_str(base_path);
    path.push('/');
    path.push_str(raw_path);
    // The base is already parsed: only the path and query are parsed here (as a whole URL would
    // parse them), not the scheme and host again.
    let mut url = base.clone();
    url.set_fragment(None);
    url.set_path(&path);
    url.set_query(raw_query.filter(|q| !q.is_empty()));
    if !same_origin(&url, base) || !url.username().is_empty() || url.password().is_some() {
        return Err(UpstreamError::BadPath("the path may not change the upstream host"));
    }
    if !url.path().strip_prefix(base_path).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')) {
        return Err(UpstreamError::BadPath("the path may not leave the API base"));
    }
    Ok(url)
}

/// Whether two URLs share scheme, host and port, compared part by part: it runs on every
/// passthrough call, where serializing two origins cost more than the comparison.
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host() == b.host() && a.port_or_known_default() == b.port_or_known_default()
}

/// An `http` or `https` URL with a host and no user name or password.
fn is_plain_http_base(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.has_host() && url.username().is_empty() && url.password().is_none()
}

/// Puts the credential where the catalog says: headers, query parameters or basic auth.
pub fn inject(
    platform: &Platform,
    creds: &Credentials,
    headers: &mut HeaderMap,
    url: &mut Url,
) -> Result<(), UpstreamError> {
    let render = |t: &Template| t.render(|n| creds.get(n)).map_err(|e| UpstreamError::Template(e.to_string()));
    for (name, template) in &platform.inject.headers {
        let value = render(template)?;
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| UpstreamError::Template(format!("the {name} header value is not valid")))?;
        value.set_sensitive(true);
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| UpstreamError::Template(format!("`{name}` is not a header name")))?;
        headers.insert(name, value);
    }
    if !platform.inject.query.is_empty() {
        let rendered = platform
            .inject
            .query
            .iter()
            .map(|(name, t)| Ok((name.clone(), render(t)?)))
            .collect::<Result<Vec<_>, UpstreamError>>()?;
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !rendered.iter().any(|(name, _)| name == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut pairs = url.query_pairs_mut();
        pairs.clear();
        for (k, v) in kept.iter().chain(rendered.iter()) {
            pairs.append_pair(k, v);
        }
    }
    if let Some((user, pass)) = &platform.inject.basic {
        let raw = format!("{}:{}", render(user)?, render(pass)?);
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
            .map_err(|_| UpstreamError::Template("basic credentials are not valid".into()))?;
        value.set_sensitive(true);
        headers.insert(http::header::AUTHORIZATION, value);
    }
    Ok(())
}

/// Whether an address is on the public internet (not loopback, private, link-local, CGNAT, ULA,
/// multicast, documentation or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// The operator's allow-list of origins that may resolve to private addresses.
#[derive(Debug, Clone, Default)]
pub struct PrivateAllowList {
    origins: Vec<Url>,
    hosts: HashSet<String>,
}

impl PrivateAllowList {
    pub fn new(origins: &[String]) -> Self {
        let origins: Vec<Url> = origins.iter().filter_map(|o| Url::parse(o).ok()).filter(|u| u.has_host()).collect();
        let hosts = origins
            .iter()
            .filter_map(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase()))
            .collect();
        PrivateAllowList { origins, hosts }
    }

    /// Whether the URL's origin (scheme, host, port) is allow-listed.
    pub fn allows_origin(&self, url: &Url) -> bool {
        self.origins.iter().any(|o| same_origin(o, url))
    }

    /// Refuses a URL whose host is a private IP literal (the resolver never sees those), and one
    /// whose host name is allow-listed under another scheme or port: the resolver sees only the
    /// name, so an entry for `https://crm.internal` must not open `http://crm.internal:8080`.
    /// Called before every outbound request.
    pub fn check_url(&self, url: &Url) -> Result<(), UpstreamError> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(name)) => {
                let listed = self.hosts.contains(&name.to_ascii_lowercase());
                return if listed && !self.allows_origin(url) {
                    Err(UpstreamError::PrivateAddress(url.origin().ascii_serialization()))
                } else {
                    Ok(())
                };
            }
            None => return Ok(()),
        };
        if is_public(ip) || self.allows_origin(url) {
            Ok(())
        } else {
            Err(UpstreamError::PrivateAddress(url.origin().ascii_serialization()))
        }
    }
}

/// Resolves `name`, then drops private addresses unless the host is allow-listed: checking the
/// address actually connected to defeats DNS rebinding, which a check of the name alone misses.
/// Behind both clients' resolvers.
fn resolve_guarded(
    allow: &PrivateAllowList,
    name: &str,
) -> impl std::future::Future<Output = std::io::Result<Vec<SocketAddr>>> + Send + 'static {
    let host = name.to_ascii_lowercase();
    let allowed = allow.hosts.contains(&host);
    async move {
        let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
        let usable: Vec<SocketAddr> = addrs.filter(|a| allowed || is_public(a.ip())).collect();
        if usable.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("{host} resolves only to private addresses"),
            ));
        }
        Ok(usable)
    }
}

/// The guard as reqwest's resolver, for verification requests and token exchanges.
struct GuardedResolver {
    allow: Arc<PrivateAllowList>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolving = resolve_guarded(&self.allow, name.as_str());
        Box::pin(async move {
            let usable = resolving.await.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(usable.into_iter()) as Addrs)
        })
    }
}

/// The guard as a hyper resolver, for the passthrough client.
#[derive(Clone)]
pub struct GuardedHyperResolver {
    allow: Arc<PrivateAllowList>,
}

impl tower_service::Service<hyper_util::client::legacy::connect::dns::Name> for GuardedHyperResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        let resolving = resolve_guarded(&self.allow, name.as_str());
        Box::pin(async move { Ok(resolving.await?.into_iter()) })
    }
}

/// Whether an error (or any of its sources) is the guard refusing a private address.
pub fn refused_private(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::PermissionDenied {
                return true;
            }
        }
        source = err.source();
    }
    false
}

/// Why a capped read of an answer's body stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CappedReadError {
    /// The body is longer than the cap: it is not read to the end.
    TooLarge,
    /// The body could not be read.
    Failed,
}

/// Reads an answer's body of at most `limit` bytes; a longer one (announced or sent) is refused
/// without reading the rest, so a provider cannot make Portico buffer without bound.
pub async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<bytes::Bytes, CappedReadError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(CappedReadError::TooLarge);
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| CappedReadError::Failed)? {
        if body.len() + chunk.len() > limit {
            return Err(CappedReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The client for verification requests and token exchanges (not the passthrough hot path).
///
/// Proxies named in the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`) are ignored: a
/// proxy resolves names itself, past the guarded resolver. A client that cannot be built is a
/// start-up failure, never a fallback to an unguarded default client.
pub fn build_client(config: &Config, allow: Arc<PrivateAllowList>) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.passthrough.connect_timeout)
        .timeout(config.passthrough.timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .dns_resolver(Arc::new(GuardedResolver { allow }))
        .user_agent(concat!("portico/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn base() -> Url {
        Url::parse("https://api.example.com/v2").unwrap()
    }

    #[test]
    fn joins_ordinary_paths_and_queries() {
        let url = join(&base(), "repos/o/r/issues", Some("state=open&per_page=5")).unwrap();
        assert_eq!(url.as_str(), "https://api.example.com/v2/repos/o/r/issues?state=open&per_page=5");
        let url = join(&Url::parse("https://api.example.com").unwrap(), "users/@me", None).unwrap();
        assert_eq!(url.as_str(), "https://api.example.com/users/@me");
        let url = join(&base(), "a%20b", None).unwrap();
        assert_eq!(url.path(), "/v2/a%20b");
    }

    /// Every trick for leaving the base, each refused.
    #[test]
    fn refuses_every_escape() {
        let cases = [
            "/evil.com/x",
            "/@evil.com",
            "..",
            "../admin",
            "a/../../admin",
            "%2e%2e/admin",
            "%2E%2E/admin",
            ".%2e/admin",
            "a/%2e%2e%2fadmin",
            "..%2fadmin",
            "a\\..\\admin",
            "a%5c..%5cadmin",
            "a//b",
            "http://evil.com/",
            "https:%2f%2fevil.com",
            "a%252e%252e/admin",
            "a\r\nHost: evil.com",
            "a#frag",
            "./x",
        ];
        for case in cases {
            assert!(join(&base(), case, None).is_err(), "{case} was accepted");
        }
    }

    #[test]
    fn fixed_bases_give_what_api_base_gives() {
        let vars = portico_catalog::LoadVars { mock_provider_url: Some("http://127.0.0.1:4010".into()) };
        let catalog = portico_catalog::Catalog::load(&vars, None).unwrap();
        let fixed = FixedBases::new(catalog.iter().map(|p| p.as_ref()));
        let zendesk = Credentials::new(BTreeMap::from([("connectionConfig.subdomain".into(), "acme".into())]));
        let mut parsed_once = 0;
        for platform in catalog.iter() {
            for creds in [Credentials::default(), zendesk.clone()] {
                let direct = api_base(platform, &creds);
                let cached = fixed.base_for(platform, &creds).map(Cow::into_owned);
                assert_eq!(cached, direct, "{}", platform.slug);
            }
            parsed_once +=
                usize::from(matches!(fixed.base_for(platform, &Credentials::default()), Ok(Cow::Borrowed(_))));
        }
        assert!(parsed_once >= 70, "most bases need no settings and are parsed once: {parsed_once}");
    }

    #[test]
    fn bases_must_be_plain_http() {
        for bad in
            ["ftp://files.example.com/", "https://user:pw@api.example.com/", "file:///etc/passwd", "data:text/plain,x"]
        {
            let t = Template::parse(bad).unwrap();
            assert!(render_url(&t, &Credentials::default()).is_err(), "{bad}");
            if let Ok(url) = Url::parse(bad) {
                assert!(join(&url, "x", None).is_err(), "{bad}");
            }
        }
    }

    #[test]
    fn an_at_sign_cannot_become_userinfo() {
        let url = join(&Url::parse("https://api.example.com").unwrap(), "@evil.com/x", None).unwrap();
        assert_eq!(url.host_str(), Some("api.example.com"));
    }

    #[test]
    fn classifies_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "100.128.0.1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn private_literals_need_the_allow_list() {
        let none = PrivateAllowList::new(&[]);
        let mock = Url::parse("http://127.0.0.1:4010/api/me").unwrap();
        assert!(none.check_url(&mock).is_err());
        assert!(none.check_url(&Url::parse("http://[::1]:80/").unwrap()).is_err());
        assert!(none.check_url(&Url::parse("https://api.github.com/").unwrap()).is_ok());
        let allowed = PrivateAllowList::new(&["http://127.0.0.1:4010".to_string()]);
        assert!(allowed.check_url(&mock).is_ok());
        let other_port = Url::parse("http://127.0.0.1:4011/").unwrap();
        assert!(allowed.check_url(&other_port).is_err(), "the allow-list is per origin");
    }

    #[test]
    fn an_allow_listed_name_opens_only_its_exact_origin() {
        let allowed = PrivateAllowList::new(&["https://crm.internal".to_string()]);
        for ok in ["https://crm.internal/api", "https://CRM.internal:443/api", "https://api.github.com/"] {
            assert!(allowed.check_url(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for other in ["http://crm.internal:8080/", "http://crm.internal/", "https://crm.internal:8443/"] {
            assert!(allowed.check_url(&Url::parse(other).unwrap()).is_err(), "{other} was opened");
        }
    }

    #[test]
    fn connection_settings_cannot_inject_hosts() {
        let t = Template::parse("https://${connectionConfig.subdomain}.zendesk.com/api/v2").unwrap();
        let ok = Credentials::new(BTreeMap::from([("connectionConfig.subdomain".into(), "acme".into())]));
        assert_eq!(render_url(&t, &ok).unwrap().host_str(), Some("acme.zendesk.com"));
        for evil in ["evil.com/x?", "evil.com#", "a@evil.com", "evil.com:443", "a b"] {
            let c = Credentials::new(BTreeMap::from([("connectionConfig.subdomain".into(), evil.into())]));
            assert!(render_url(&t, &c).is_err(), "{evil}");
        }
    }

    #[test]
    fn dot_segment_settings_cannot_move_the_base() {
        let t = Template::parse("https://api.example.com/tenants/${connectionConfig.tenant}/v1").unwrap();
        for dots in [".", "..", "...", "...."] {
            let c = Credentials::new(BTreeMap::from([("connectionConfig.tenant".into(), dots.into())]));
            assert!(render_url(&t, &c).is_err(), "{dots:?} was accepted");
        }
        let ok = Credentials::new(BTreeMap::from([("connectionConfig.tenant".into(), "a.b".into())]));
        assert_eq!(render_url(&t, &ok).unwrap().path(), "/tenants/a.b/v1");
    }

    #[test]
    fn credentials_never_print_their_values() {
        let c = Credentials::new(BTreeMap::from([("apiKey".into(), "sekrit-value".into())]));
        let shown = format!("{c:?}");
        assert!(shown.contains("apiKey") && !shown.contains("sekrit-value"), "{shown}");
    }

    /// The join as first written (allocating lowered copies, comparing serialized origins): the
    /// faster one must accept and build exactly the same URLs.
    fn reference_join(base: &Url, raw_path: &str, raw_query: Option<&str>) -> Option<Url> {
        let lowered = raw_path.to_ascii_lowercase();
        if raw_path.starts_with('/') || raw_path.contains("//") || raw_path.contains('\\') || lowered.contains("%5c") {
            return None;
        }
        if lowered.contains("%2f")
            || raw_path.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'#' || b == b'?')
        {
            return None;
        }
        if lowered.replace("%2e", ".").split('/').any(|seg| seg == "." || seg == "..") || lowered.contains("%25") {
            return None;
        }
        if raw_query.is_some_and(|q| q.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'#')) {
            return None;
        }
        let base_path = base.path().trim_end_matches('/');
        let mut text = format!("{}{}/{}", base.origin().ascii_serialization(), base_path, raw_path);
        if let Some(q) = raw_query.filter(|q| !q.is_empty()) {
            text.push('?');
            text.push_str(q);
        }
        let url = Url::parse(&text).ok()?;
        let prefix = format!("{base_path}/");
        (url.origin() == base.origin() && (url.path() == base_path || url.path().starts_with(&prefix))).then_some(url)
    }

    proptest! {
        #[test]
        fn join_matches_the_reference(
            path in "([a-zA-Z0-9_~@:-]{0,4}|%2[eEfF5]|%5[cC]|%25|%[0-9a-fA-F]{0,2}|\\.|/|\\\\|#|\\?| |é|€|\\[|\\]|\\||\\^|`|\\{|\"|<){0,12}",
            query in proptest::option::of("[a-z0-9=&%./ #é€<>\"'`{}|^\\[\\]]{0,12}"),
            base in prop_oneof![Just("https://api.example.com/v2"), Just("https://api.example.com"), Just("http://127.0.0.1:4010/api/"), Just("https://api.example.com/v1/?key=x#f")],
        ) {
            let base = Url::parse(base).unwrap();
            prop_assert_eq!(join(&base, &path, query.as_deref()).ok(), reference_join(&base, &path, query.as_deref()));
        }

        /// Whatever the caller sends, an accepted URL stays on the base's origin and under its path.
        #[test]
        fn joined_urls_stay_under_the_base(path in "[a-zA-Z0-9./%@:\\\\_~-]{0,40}", query in proptest::option::of("[a-z0-9=&%./]{0,20}")) {
            if let Ok(url) = join(&base(), &path, query.as_deref()) {
                prop_assert_eq!(url.origin(), base().origin());
                prop_assert!(url.path() == "/v2" || url.path().starts_with("/v2/"), "{}", url);
            }
        }
    }
}
