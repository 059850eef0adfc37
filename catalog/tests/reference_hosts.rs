//! The built-in OAuth entries send users and codes to the hosts the shared reference names
//! (`shared/reference/provider-facts.tsv`, beside the repository): a typo in an authorization or
//! token URL would hand an authorization code to the wrong server.
//!
//! Hosts are compared after placeholders: `${…}` stands for a per-connection value, whatever the
//! field is called, so `https://${connectionConfig.subdomain}.zendesk.com` is `*.zendesk.com` on
//! either side. Our host must be one the reference's host allows: a `*` in the reference's host
//! stands for any text (its `api.${connectionConfig.domain}` allows our `api.smartsheet.com`, its
//! `${connectionConfig.hostname}` allows our `*.my.salesforce.com`), while our own `*` must meet a
//! `*` there. Where the reference offers alternatives (`A || B`), either one may match.
//!
//! The reference is not part of this repository. Without it the test says so and passes; CI runs
//! in a fresh clone with `shared/` beside it, so there it always runs.

use std::collections::BTreeMap;

use portico_catalog::{Catalog, LoadVars};

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/provider-facts.tsv");

/// Hand-written files that deliberately use other hosts than the reference, because the
/// provider's own documentation says so (each file's header comment explains it):
/// (slug, "authorization" or "token", why).
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "greenhouse",
        "token",
        "Harvest v3 client credentials are exchanged at auth.greenhouse.io/token (Greenhouse's Harvest v3 \
         authentication docs); the reference's api.greenhouse.io/oauth/token is the partners' \
         authorization-code flow",
    ),
    (
        "paypal",
        "token",
        "a merchant's REST app takes client credentials at api-m.paypal.com or api-m.sandbox.paypal.com \
         (the form's apiHost pattern allows only those two); the reference's api.paypal.com row is \
         Log in with PayPal, another product",
    ),
];

/// The reference's URLs for one platform.
struct Row {
    authorization_url: String,
    token_url: String,
}

fn read_reference(text: &str) -> BTreeMap<String, Row> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("the reference has a header row").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (platform, authorization, token) = (col("platform"), col("authorization_url"), col("token_url"));
    let mut rows = BTreeMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| cells.get(i).map(|c| c.trim().to_string()).unwrap_or_default();
        rows.insert(cell(platform), Row { authorization_url: cell(authorization), token_url: cell(token) });
    }
    rows
}

/// `https://${connectionConfig.subdomain}.zendesk.com/oauth/tokens` → `*.zendesk.com`.
fn host_pattern(url: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = url.trim();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        out.push('*');
        rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
    }
    out.push_str(rest);
    let after_scheme = out.split_once("://")?.1;
    let host = after_scheme.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether the reference's host pattern `theirs` allows our host pattern `ours`: a `*` in theirs
/// matches any run of characters (our `*` included); every other character must be equal.
fn host_allows(theirs: &str, ours: &str) -> bool {
    match theirs.split_once('*') {
        None => theirs == ours,
        Some((head, tail)) => {
            let Some(rest) = ours.strip_prefix(head) else { return false };
            (1..=rest.len()).any(|n| rest.is_char_boundary(n) && host_allows(tail, &rest[n..]))
        }
    }
}

/// The hosts a reference cell allows: one per `||` alternative.
fn reference_hosts(cell: &str) -> Vec<String> {
    cell.split("||").filter_map(host_pattern).collect()
}

#[test]
fn oauth_hosts_match_the_reference() {
    let Ok(text) = std::fs::read_to_string(REFERENCE) else {
        println!("notice: {REFERENCE} is missing; OAuth hosts not compared with the reference");
        return;
    };
    let reference = read_reference(&text);
    let catalog = Catalog::load(&LoadVars { mock_provider_url: Some("http://127.0.0.1:4010".into()) }, None)
        .expect("the built-in catalog loads");

    let mut compared = 0;
    let mut mismatches = Vec::new();
    let mut used = Vec::new();
    for p in catalog.iter().filter(|p| !p.local) {
        let (Some(oauth), Some(row)) = (&p.oauth, reference.get(&p.slug)) else { continue };
        let urls = [
            ("authorization", oauth.authorization_url.as_ref().map(|t| t.source()), &row.authorization_url),
            ("token", Some(oauth.token_url.source()), &row.token_url),
        ];
        for (what, ours, theirs) in urls {
            let (Some(ours), false) = (ours, theirs.is_empty()) else { continue };
            compared += 1;
            let ours_host = host_pattern(ours).unwrap_or_default();
            let allowed_hosts = reference_hosts(theirs);
            if allowed_hosts.iter().any(|theirs| host_allows(theirs, &ours_host)) {
                continue;
            }
            if ALLOWED.iter().any(|(slug, w, _)| *slug == p.slug && *w == what) {
                used.push((p.slug.clone(), what));
                continue;
            }
            mismatches.push(format!(
                "{}: {what} URL host `{ours_host}` ({ours}), the reference has `{}` ({theirs})",
                p.slug,
                allowed_hosts.join("` or `"),
            ));
        }
    }
    assert!(compared > 0, "no OAuth URL was compared: is the reference's format still the same?");
    assert!(
        mismatches.is_empty(),
        "{} OAuth URL hosts differ from the reference:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );

    // An allow-list entry that no longer differs (or names a platform that is gone) is stale.
    for (slug, what, why) in ALLOWED {
        assert!(
            used.iter().any(|(s, w)| s == slug && w == what),
            "ALLOWED {slug} {what} now matches the reference or is gone: remove it ({why})"
        );
    }
}

#[test]
fn host_patterns_ignore_placeholder_names() {
    assert_eq!(
        host_pattern("https://${connectionConfig.subdomain}.zendesk.com/oauth/tokens").as_deref(),
        Some("*.zendesk.com")
    );
    assert_eq!(
        host_pattern("https://${connectionConfig.shop}.myshopify.com/admin").as_deref(),
        Some("*.myshopify.com")
    );
    assert_eq!(host_pattern("https://Login.Example.com?x=1").as_deref(), Some("login.example.com"));
    assert_eq!(host_pattern("not a url"), None);
    assert!(host_allows("*.zendesk.com", "*.zendesk.com"));
    assert!(host_allows("api.*", "api.smartsheet.com"));
    assert!(host_allows("*", "*.my.salesforce.com"));
    assert!(!host_allows("*.zendesk.com", "zendesk.com"));
    assert!(!host_allows("api.paypal.com", "*"));
    assert!(!host_allows("login.example.com", "login.example.com.evil.test"));
    assert_eq!(
        reference_hosts("https://${connectionConfig.hostname}/oauth/token || https://login.salesforce.com/oauth/token"),
        ["*", "login.salesforce.com"]
    );
}
