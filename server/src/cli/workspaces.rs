//! `portico workspace …`: create, list, allow origins.

use clap::Subcommand;
use serde_json::json;

use super::{admin_store, print};
use crate::clock::{Clock, OsEntropy, SystemClock};
use crate::tenancy::WorkspaceId;

#[derive(Debug, Subcommand)]
pub(super) enum WorkspaceCommand {
    /// Create a workspace with one secret key per environment (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// An origin whose pages may open the modal, e.g. https://app.example.com (repeatable).
        #[arg(long = "allowed-origin")]
        allowed_origins: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List workspaces.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Allow more origins to open the modal.
    AllowOrigin {
        #[arg(long)]
        workspace: String,
        #[arg(required = true)]
        origins: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn workspace(command: WorkspaceCommand) -> Result<(), anyhow::Error> {
    let clock = SystemClock;
    let entropy = OsEntropy;
    match command {
        WorkspaceCommand::Create { name, allowed_origins, json } => {
            let store = admin_store().await?;
            let created =
                crate::workspaces::create_workspace(&store, &entropy, clock.now_ms(), &name, &allowed_origins).await?;
            print(
            json,
            serde_json::to_value(&created)?,
            format!(
                "Created workspace {} ({}).\nTest secret key: {}\nLive secret key: {}\nThese keys are shown once; store them now.",
                created.workspace_id, created.name, created.test_secret_key, created.live_secret_key
            ),
        );
        }
        WorkspaceCommand::List { json } => {
            let store = admin_store().await?;
            let mut rows = Vec::new();
            for ws in store.list_workspaces().await? {
                let origins = store.allowed_origins(&ws.id).await?;
                rows.push(json!({"workspaceId": ws.id.as_str(), "name": ws.name, "createdAt": ws.created_at, "allowedOrigins": origins}));
            }
            let human = rows
                .iter()
                .map(|r| {
                    format!(
                        "{}  {}",
                        r["workspaceId"].as_str().unwrap_or_default(),
                        r["name"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(json, json!({"workspaces": rows}), human);
        }
        WorkspaceCommand::AllowOrigin { workspace, origins, json } => {
            let store = admin_store().await?;
            let id =
                WorkspaceId::parse(&workspace).ok_or_else(|| anyhow::anyhow!("--workspace must look like ws_…"))?;
            if store.find_workspace(&id).await?.is_none() {
                anyhow::bail!("workspace {workspace} not found");
            }
            for origin in crate::workspaces::parse_origins(&origins)? {
                store.add_allowed_origin(&id, &origin).await?;
            }
            let all = store.allowed_origins(&id).await?;
            print(
                json,
                json!({"workspaceId": workspace, "allowedOrigins": all}),
                format!("Allowed origins: {}", all.join(", ")),
            );
        }
    }
    Ok(())
}
