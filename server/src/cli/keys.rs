//! `portico key …`: secret keys (created ones are shown once).

use clap::Subcommand;
use serde_json::json;

use super::{admin_store, ensure_workspace, print, ScopeArgs};
use crate::clock::{Clock, OsEntropy, SystemClock};
use crate::events::Actor;
use crate::workspaces::keys;

#[derive(Debug, Subcommand)]
pub(super) enum KeyCommand {
    /// Create a secret key (printed once).
    Create {
        #[command(flatten)]
        scope: ScopeArgs,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List keys (never their secret).
    List {
        #[command(flatten)]
        scope: ScopeArgs,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id.
    Revoke {
        #[command(flatten)]
        scope: ScopeArgs,
        id: String,
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn key(command: KeyCommand) -> Result<(), anyhow::Error> {
    let clock = SystemClock;
    let entropy = OsEntropy;
    match command {
        KeyCommand::Create { scope, label, json } => {
            let store = admin_store().await?;
            let scope = scope.scope()?;
            ensure_workspace(&store, &scope.workspace_id).await?;
            let label = keys::parse_label(label.as_deref()).map_err(anyhow::Error::msg)?;
            let by = Actor::CommandLine;
            let created = keys::create(&store, &entropy, clock.now_ms(), &scope, label.as_deref(), by).await?;
            print(json, serde_json::to_value(&created)?, format!("{} (shown once)", created.secret_key));
        }
        KeyCommand::List { scope, json } => {
            let store = admin_store().await?;
            let scope = scope.scope()?;
            let keys = store.list_secret_keys(&scope).await?;
            let rows: Vec<_> = keys
            .iter()
            .map(|k| json!({"id": k.id, "displayPrefix": k.display_prefix, "label": k.label, "createdAt": k.created_at, "lastUsedAt": k.last_used_at, "revokedAt": k.revoked_at}))
            .collect();
            let human = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}  {}  {}",
                        k.id,
                        k.display_prefix,
                        if k.revoked_at.is_some() { "revoked" } else { "active" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(json, json!({"keys": rows}), human);
        }
        KeyCommand::Revoke { scope, id, json } => {
            let store = admin_store().await?;
            let scope = scope.scope()?;
            if !keys::revoke(&store, &entropy, clock.now_ms(), &scope, &id, Actor::CommandLine).await? {
                anyhow::bail!("no active key {id} in this workspace and environment");
            }
            print(json, json!({"id": id, "revoked": true}), format!("Revoked {id}."));
        }
    }
    Ok(())
}
