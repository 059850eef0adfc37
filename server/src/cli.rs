//! The `portico` command line: `serve`, `demo`, `mock-provider`, and the operator's admin
//! commands (workspaces, keys, integrations, vault). Admin commands print JSON with `--json` and
//! never echo a secret except the one they were asked to create.

use std::net::SocketAddr;
use std::process::ExitCode;

use base64::Engine;
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::clock::{Clock, Entropy, OsEntropy, SystemClock};
use crate::config::Config;
use crate::store::Store;
use crate::tenancy::{Environment, Scope, WorkspaceId};
use crate::Application;

#[derive(Debug, Parser)]
#[command(
    name = "portico",
    version,
    about = "Self-hosted integration auth: connect, vault and proxy your users' third-party APIs."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (configuration from PORTICO_* environment variables, see README).
    Serve,
    /// Run Portico, the mock provider and a demo host app together, with a seeded workspace.
    Demo {
        /// Where the demo host app (the page to open) listens.
        #[arg(long, env = "PORTICO_DEMO_HOST_LISTEN", default_value = "127.0.0.1:4000")]
        host_listen: SocketAddr,
        /// Where the mock provider listens.
        #[arg(long, env = "PORTICO_DEMO_MOCK_LISTEN", default_value = "127.0.0.1:4010")]
        mock_listen: SocketAddr,
    },
    /// Run only the mock provider (an API that demands an API key).
    MockProvider {
        #[arg(long, default_value = "127.0.0.1:4010")]
        listen: SocketAddr,
        /// API keys to accept (default: the demo key).
        #[arg(long = "api-key")]
        api_keys: Vec<String>,
    },
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage secret keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Enable or disable catalog integrations for an environment.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Vault utilities.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// The workspace's own OAuth apps (client id and secret per platform).
    #[command(subcommand, name = "oauth-app")]
    OAuthApp(OAuthAppCommand),
}

#[derive(Debug, Subcommand)]
enum OAuthAppCommand {
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

#[derive(Debug, Subcommand)]
enum WorkspaceCommand {
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

#[derive(Debug, Args)]
struct ScopeArgs {
    #[arg(long)]
    workspace: String,
    #[arg(long, value_parser = ["test", "live"])]
    environment: String,
}

impl ScopeArgs {
    fn scope(&self) -> Result<Scope, anyhow::Error> {
        Ok(Scope {
            workspace_id: WorkspaceId::parse(&self.workspace)
                .ok_or_else(|| anyhow::anyhow!("--workspace must look like ws_ followed by 32 hex digits"))?,
            environment: Environment::parse(&self.environment).ok_or_else(|| anyhow::anyhow!("bad environment"))?,
        })
    }
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
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

#[derive(Debug, Subcommand)]
enum IntegrationCommand {
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

#[derive(Debug, Subcommand)]
enum VaultCommand {
    /// Print a new random vault key (base64, 32 bytes) for PORTICO_VAULT_KEY.
    GenerateKey,
    /// How many stored secrets each vault key protects (active, retired, or unknown).
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Re-encrypt every stored secret under the active key (PORTICO_VAULT_KEY), online. Keep the
    /// old key in PORTICO_VAULT_RETIRED_KEYS on every server until `status` shows it protects nothing.
    Rotate {
        #[arg(long, default_value_t = 500)]
        batch_size: i64,
        #[arg(long)]
        json: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print(json_output: bool, value: serde_json::Value, human: String) {
    if json_output {
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else {
        println!("{human}");
    }
}

async fn admin_store() -> Result<Store, anyhow::Error> {
    let config = Config::from_env(false)?;
    Ok(Store::connect(&config.database_url).await?)
}

async fn run(command: Command) -> Result<(), anyhow::Error> {
    let clock = SystemClock;
    let entropy = OsEntropy;
    match command {
        Command::Serve => {
            let config = Config::from_env(false)?;
            crate::telemetry::init(config.log_format);
            let app = Application::build(config).await?;
            tracing::info!(addr = %app.local_addr(), public_url = %app.state().config.public_url, "portico listening");
            app.run_on_workers(crate::demo::shutdown_signal()).await?;
        }
        Command::Demo { host_listen, mock_listen } => {
            let config = Config::from_env(true)?;
            crate::telemetry::init(config.log_format);
            crate::demo::run(config, crate::demo::DemoOptions { host_listen, mock_listen }).await?;
        }
        Command::MockProvider { listen, api_keys } => {
            crate::telemetry::init(crate::config::LogFormat::Pretty);
            let listener = tokio::net::TcpListener::bind(listen).await?;
            let mut config = portico_mock::MockConfig::default();
            if !api_keys.is_empty() {
                config.api_keys = api_keys;
            }
            let mock = portico_mock::MockProvider::spawn(listener, config)?;
            println!("mock provider listening on {}", mock.url());
            crate::demo::shutdown_signal().await;
        }
        Command::Workspace(WorkspaceCommand::Create { name, allowed_origins, json }) => {
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
        Command::Workspace(WorkspaceCommand::List { json }) => {
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
        Command::Workspace(WorkspaceCommand::AllowOrigin { workspace, origins, json }) => {
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
        Command::Key(KeyCommand::Create { scope, label, json }) => {
            let store = admin_store().await?;
            let scope = scope.scope()?;
            ensure_workspace(&store, &scope.workspace_id).await?;
            let created =
                crate::keys::create_secret_key_in(&store, &entropy, clock.now_ms(), &scope, label.as_deref()).await?;
            print(json, serde_json::to_value(&created)?, format!("{} (shown once)", created.secret_key));
        }
        Command::Key(KeyCommand::List { scope, json }) => {
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
        Command::Key(KeyCommand::Revoke { scope, id, json }) => {
            let store = admin_store().await?;
            let scope = scope.scope()?;
            if !store.revoke_secret_key(&scope, &id, clock.now_ms()).await? {
                anyhow::bail!("no active key {id} in this workspace and environment");
            }
            print(json, json!({"id": id, "revoked": true}), format!("Revoked {id}."));
        }
        Command::Integration(IntegrationCommand::Enable { scope, platforms, json }) => {
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
        Command::Integration(IntegrationCommand::Disable { scope, platforms, json }) => {
            let store = admin_store().await?;
            let scope = scope.scope()?;
            for p in &platforms {
                store.disable_integration(&scope, p).await?;
            }
            let enabled: Vec<_> = store.enabled_integrations(&scope).await?.into_iter().collect();
            print(json, json!({"enabled": enabled}), format!("Enabled: {}", enabled.join(", ")));
        }
        Command::Vault(VaultCommand::Status { json }) => {
            let (store, vault) = vault_and_store().await?;
            let status = crate::vault::rotation::status(&store, &vault).await?;
            let human = status
                .keys
                .iter()
                .map(|k| format!("{}  {:>8}  {}", k.key_id, k.records, k.state))
                .collect::<Vec<_>>()
                .join("\n");
            print(json, serde_json::to_value(&status)?, format!("key id            records  state\n{human}"));
        }
        Command::Vault(VaultCommand::Rotate { batch_size, json }) => {
            if !(1..=10_000).contains(&batch_size) {
                anyhow::bail!("--batch-size must be between 1 and 10000");
            }
            let (store, vault) = vault_and_store().await?;
            let report = crate::vault::rotation::rotate(&store, &vault, batch_size).await?;
            let status = crate::vault::rotation::status(&store, &vault).await?;
            print(
                json,
                json!({"reencrypted": report.reencrypted, "raced": report.raced, "status": status}),
                format!(
                    "Re-encrypted {} secret(s) under {} ({} raced with a concurrent writer and were redone).",
                    report.reencrypted, status.active_key_id, report.raced
                ),
            );
        }
        Command::OAuthApp(OAuthAppCommand::Set { scope, platform, client_id, client_secret_file, scopes, json }) => {
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
            let id = format!("oap_{}", crate::clock::random_hex(&OsEntropy, 16));
            let scopes = (!scopes.is_empty()).then_some(scopes);
            let row = crate::oauth::apps::put(
                &store,
                &vault,
                &catalog,
                &scope,
                &platform,
                &client_id,
                &secret,
                scopes,
                id,
                clock.now_ms(),
            )
            .await?;
            let view = crate::oauth::apps::view(&catalog, &row, &config.public_url);
            let human = format!(
                "Saved the {platform} OAuth app (client id {}). Register this redirect URI with the provider:\n  {}",
                view.client_id, view.redirect_uri
            );
            print(json, serde_json::to_value(&view)?, human);
        }
        Command::OAuthApp(OAuthAppCommand::List { scope, json }) => {
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
        Command::OAuthApp(OAuthAppCommand::Remove { scope, platform, json }) => {
            let scope = scope.scope()?;
            let store = admin_store().await?;
            if !store.delete_oauth_app(&scope, &platform).await? {
                anyhow::bail!("there is no {platform} OAuth app in this workspace and environment");
            }
            print(json, json!({"platform": platform, "removed": true}), format!("Removed the {platform} OAuth app."));
        }
        Command::Vault(VaultCommand::GenerateKey) => {
            let mut key = zeroize::Zeroizing::new([0u8; 32]);
            entropy.fill(&mut *key);
            println!("{}", base64::engine::general_purpose::STANDARD.encode(*key));
        }
    }
    Ok(())
}

async fn vault_and_store() -> Result<(Store, crate::vault::Vault), anyhow::Error> {
    let config = Config::from_env(false)?;
    let vault = crate::load_vault(&config, std::sync::Arc::new(OsEntropy))?;
    Ok((Store::connect(&config.database_url).await?, vault))
}

fn load_catalog() -> Result<portico_catalog::Catalog, anyhow::Error> {
    let config = Config::from_env(false)?;
    Ok(portico_catalog::Catalog::load(
        &portico_catalog::LoadVars { mock_provider_url: Some(config.mock_provider_url.clone()) },
        config.catalog_dir.as_deref(),
    )?)
}

async fn ensure_workspace(store: &Store, id: &WorkspaceId) -> Result<(), anyhow::Error> {
    if store.find_workspace(id).await?.is_none() {
        anyhow::bail!("workspace {id} not found");
    }
    Ok(())
}
