//! `portico oauth-app …`: the workspace's own OAuth apps.

use clap::Subcommand;
use serde_json::json;

use super::{admin_store, ensure_workspace, load_catalog, print, vault_and_store, ScopeArgs};
use crate::clock::{Clock, OsEntropy, SystemClock};
use crate::config::Config;
use crate::oauth::apps::{AppStore, NewApp};

#[derive(Debug, Subcommand)]
pub(super) enum OAuthAppCommand {
    /// Create or replace the OAuth app of a platform. The secret is read from a file (or `-` for
    /// standard input) so it never appears in the shell's history or the process list.
    Set {
        #[command(flatten)]
        scope: ScopeArgs,
        #[arg(long)]
        platform: String,
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        client_secret_file: String,
        /// Scopes to request instead of the catalog's defaults (repeat the flag).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the OAuth apps (never their secrets) with the redirect URI to register.
    List {
        #[command(flatten)]
        scope: ScopeArgs,
        #[arg(long)]
        json: bool,
    },
    /// Remove the OAuth app of a platform.
    Remove {
        #[command(flatten)]
        scope: ScopeArgs,
        #[arg(long)]
        platform: String,
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn oauth_app(command: OAuthAppCommand) -> Result<(), anyhow::Error> {
    let clock = SystemClock;
    match command {
        OAuthAppCommand::Set { scope, platform, client_id, client_secret_file, scopes, json } => {
            let scope = scope.scope()?;
            let secret = zeroize::Zeroizing::new(if client_secret_file == "-" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
                text
            } else {
                std::fs::read_to_string(&client_secret_file)
                    .map_err(|e| anyhow::anyhow!("cannot read --client-secret-file {client_secret_file}: {e}"))?
            });
            let config = Config::from_env(false)?;
            let (store, vault) = vault_and_store().await?;
            ensure_workspace(&store, &scope.workspace_id).await?;
            let catalog = load_catalog()?;
            let app = NewApp {
                platform: &platform,
                client_id: &client_id,
                client_secret: &secret,
                scopes: (!scopes.is_empty()).then_some(scopes),
                new_id: format!("oap_{}", crate::clock::random_hex(&OsEntropy, 16)),
            };
            let apps = AppStore { store: &store, vault: &vault, catalog: &catalog };
            let row = crate::oauth::apps::put(apps, &scope, app, clock.now_ms()).await?;
            let view = crate::oauth::apps::view(&catalog, &row, &config.public_url);
            let human = format!(
                "Saved the {platform} OAuth app (client id {}). Register this redirect URI with the provider:\n  {}",
                view.client_id, view.redirect_uri
            );
            print(json, serde_json::to_value(&view)?, human);
        }
        OAuthAppCommand::List { scope, json } => {
            let scope = scope.scope()?;
            let config = Config::from_env(false)?;
            let store = admin_store().await?;
            let catalog = load_catalog()?;
            let apps: Vec<_> = store
                .list_oauth_apps(&scope)
                .await?
                .iter()
                .map(|a| crate::oauth::apps::view(&catalog, a, &config.public_url))
                .collect();
            let human = apps.iter().map(|a| format!("{}  {}", a.platform, a.client_id)).collect::<Vec<_>>().join("\n");
            print(
                json,
                json!({"apps": apps, "redirectUri": crate::oauth::apps::redirect_uri(&config.public_url)}),
                human,
            );
        }
        OAuthAppCommand::Remove { scope, platform, json } => {
            let scope = scope.scope()?;
            let store = admin_store().await?;
            if !store.delete_oauth_app(&scope, &platform).await? {
                anyhow::bail!("there is no {platform} OAuth app in this workspace and environment");
            }
            print(json, json!({"platform": platform, "removed": true}), format!("Removed the {platform} OAuth app."));
        }
    }
    Ok(())
}
