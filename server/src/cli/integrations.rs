//! `portico integration enable|disable …`.

use clap::Subcommand;
use serde_json::json;

use super::{admin_store, ensure_workspace, load_catalog, print, ScopeArgs};
use crate::clock::{Clock, SystemClock};

#[derive(Debug, Subcommand)]
pub(super) enum IntegrationCommand {
    Enable {
        #[command(flatten)]
        scope: ScopeArgs,
        #[arg(required = true)]
        platforms: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    Disable {
        #[command(flatten)]
        scope: ScopeArgs,
        #[arg(required = true)]
        platforms: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn integration(command: IntegrationCommand) -> Result<(), anyhow::Error> {
    let clock = SystemClock;
    match command {
        IntegrationCommand::Enable { scope, platforms, json } => {
            let store = admin_store().await?;
            let scope = scope.scope()?;
            ensure_workspace(&store, &scope.workspace_id).await?;
            let catalog = load_catalog()?;
            for p in &platforms {
                if catalog.get(p).is_none() {
                    anyhow::bail!("`{p}` is not in the catalog");
                }
            }
            for p in &platforms {
                store.enable_integration(&scope, p, clock.now_ms()).await?;
            }
            let enabled: Vec<_> = store.enabled_integrations(&scope).await?.into_iter().collect();
            print(json, json!({"enabled": enabled}), format!("Enabled: {}", enabled.join(", ")));
        }
        IntegrationCommand::Disable { scope, platforms, json } => {
            let store = admin_store().await?;
            let scope = scope.scope()?;
            for p in &platforms {
                store.disable_integration(&scope, p).await?;
            }
            let enabled: Vec<_> = store.enabled_integrations(&scope).await?.into_iter().collect();
            print(json, json!({"enabled": enabled}), format!("Enabled: {}", enabled.join(", ")));
        }
    }
    Ok(())
}
