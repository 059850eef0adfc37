//! The `portico` command line: `serve`, `demo`, `mock-provider`, and the operator's admin
//! commands (workspaces, keys, integrations, vault). Admin commands print JSON with `--json` and
//! never echo a secret except the one they were asked to create.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::clock::OsEntropy;
use crate::config::Config;
use crate::store::Store;
use crate::tenancy::{Environment, Scope, WorkspaceId};
use crate::Application;

mod integrations;
mod keys;
mod oauth_apps;
mod operators;
mod vault;
mod workspaces;

use integrations::IntegrationCommand;
use keys::KeyCommand;
use oauth_apps::OAuthAppCommand;
use operators::OperatorCommand;
use vault::VaultCommand;
use workspaces::WorkspaceCommand;

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
    /// Dashboard operators (password from standard input or a file).
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Debug, Args)]
pub(super) struct ScopeArgs {
    #[arg(long)]
    workspace: String,
    #[arg(long, value_parser = ["test", "live"])]
    environment: String,
}

impl ScopeArgs {
    pub(super) fn scope(&self) -> Result<Scope, anyhow::Error> {
        Ok(Scope {
            workspace_id: WorkspaceId::parse(&self.workspace)
                .ok_or_else(|| anyhow::anyhow!("--workspace must look like ws_ followed by 32 hex digits"))?,
            environment: Environment::parse(&self.environment).ok_or_else(|| anyhow::anyhow!("bad environment"))?,
        })
    }
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

pub(super) fn print(json_output: bool, value: serde_json::Value, human: String) {
    if json_output {
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else {
        println!("{human}");
    }
}

pub(super) async fn admin_store() -> Result<Store, anyhow::Error> {
    let config = Config::from_env(false)?;
    Ok(Store::connect(&config.database_url).await?)
}

async fn run(command: Command) -> Result<(), anyhow::Error> {
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
        Command::Workspace(command) => workspaces::workspace(command).await?,
        Command::Key(command) => keys::key(command).await?,
        Command::Integration(command) => integrations::integration(command).await?,
        Command::Vault(command) => vault::vault(command).await?,
        Command::OAuthApp(command) => oauth_apps::oauth_app(command).await?,
        Command::Operator(command) => operators::operator(command).await?,
    }
    Ok(())
}

pub(super) async fn vault_and_store() -> Result<(Store, crate::vault::Vault), anyhow::Error> {
    let config = Config::from_env(false)?;
    let vault = crate::load_vault(&config, std::sync::Arc::new(OsEntropy))?;
    Ok((Store::connect(&config.database_url).await?, vault))
}

pub(super) fn load_catalog() -> Result<portico_catalog::Catalog, anyhow::Error> {
    let config = Config::from_env(false)?;
    Ok(portico_catalog::Catalog::load(
        &portico_catalog::LoadVars { mock_provider_url: Some(config.mock_provider_url.clone()) },
        config.catalog_dir.as_deref(),
    )?)
}

pub(super) async fn ensure_workspace(store: &Store, id: &WorkspaceId) -> Result<(), anyhow::Error> {
    if store.find_workspace(id).await?.is_none() {
        anyhow::bail!("workspace {id} not found");
    }
    Ok(())
}
