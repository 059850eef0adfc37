//! A workspace's allowed origins: the host pages that may frame the modal and open it (the
//! modal's host check). One validation — [`crate::config::parse_origin`], `scheme://host[:port]`
//! — for the CLI, the dashboard and workspace creation, worded the same everywhere.

use crate::store::{Store, StoreError};
use crate::tenancy::WorkspaceId;

/// Most origins a workspace may allow (the dashboard lists them all on one page).
pub const MAX_ORIGINS: usize = 100;

/// `scheme://host[:port]`, normalised; the refusal in words.
pub fn parse(text: &str) -> Result<String, String> {
    crate::config::parse_origin("allowed origin", text).map_err(|e| {
        let mut words = format!("{} {}.", e.setting, e.problem);
        words[..1].make_ascii_uppercase();
        words
    })
}

#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    #[error("{0}")]
    Invalid(String),
    #[error("A workspace may allow at most {MAX_ORIGINS} origins; remove one first.")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Allows `raw` (checked) for `workspace`; the origins allowed afterwards.
pub async fn add(store: &Store, workspace: &WorkspaceId, raw: &str) -> Result<Vec<String>, OriginError> {
    let origin = parse(raw).map_err(OriginError::Invalid)?;
    let existing = store.allowed_origins(workspace).await?;
    if !existing.contains(&origin) && existing.len() >= MAX_ORIGINS {
        return Err(OriginError::TooMany);
    }
    store.add_allowed_origin(workspace, &origin).await?;
    Ok(store.allowed_origins(workspace).await?)
}

/// Stops allowing `origin`; `false` when it was not allowed.
pub async fn remove(store: &Store, workspace: &WorkspaceId, origin: &str) -> Result<bool, StoreError> {
    store.remove_allowed_origin(workspace, origin).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_and_worded() {
        assert_eq!(parse(" https://App.Example.com:8443 ").unwrap(), "https://app.example.com:8443");
        assert_eq!(parse("http://127.0.0.1:4000/").unwrap(), "http://127.0.0.1:4000");
        assert_eq!(parse("app.example.com").unwrap_err(), "Allowed origin `app.example.com` is not an absolute URL.");
        assert!(parse("ftp://example.com").unwrap_err().contains("must be an http(s) URL"));
        assert!(parse("https://example.com/path").unwrap_err().contains("without a path"));
    }
}
