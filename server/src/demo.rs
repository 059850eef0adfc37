//! `portico demo`: Portico, the mock provider and the demo host app in one process, with a seeded
//! demo workspace, so a newcomer connects an integration in a browser within a minute.
//!
//! The demo workspace is created once (its id kept in `data/demo.json`, nothing secret); each
//! start mints a fresh secret key for the demo host and revokes the previous one, so no secret key
//! is ever written to disk.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::clock::{Clock, Entropy, OsEntropy, SystemClock};
use crate::config::Config;
use crate::events::Actor;
use crate::store::Store;
use crate::tenancy::{Environment, Scope, WorkspaceId};
use crate::workspaces::keys;
use crate::{Application, StartupError};

pub const DEMO_USERS: [&str; 2] = ["demo-user-1", "demo-user-2"];
const HOST_KEY_LABEL: &str = "demo host";
/// The demo workspace's owner in the dashboard.
pub const DEMO_OPERATOR_EMAIL: &str = "demo@example.com";

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub host_listen: SocketAddr,
    pub mock_listen: SocketAddr,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoFile {
    workspace_id: String,
}

/// Finds or creates the demo workspace: `mock` enabled in `test`, the host page's origins allowed.
pub async fn seed(
    store: &Store,
    entropy: &dyn Entropy,
    now: i64,
    data_dir: &Path,
    host_origins: &[String],
) -> Result<WorkspaceId, anyhow::Error> {
    let file = data_dir.join("demo.json");
    let existing = match std::fs::read_to_string(&file) {
        Ok(text) => serde_json::from_str::<DemoFile>(&text).ok().and_then(|f| WorkspaceId::parse(&f.workspace_id)),
        Err(_) => None,
    };
    let workspace_id = match existing {
        Some(id) if store.find_workspace(&id).await?.is_some() => id,
        _ => {
            let created = crate::workspaces::create_workspace(store, entropy, now, "Demo", &[]).await?;
            let id = WorkspaceId::parse(&created.workspace_id).ok_or_else(|| anyhow::anyhow!("bad id"))?;
            // The initial keys were never shown to anyone: revoke them; the host gets its own.
            for env in Environment::ALL {
                let scope = Scope { workspace_id: id.clone(), environment: env };
                for key in store.list_secret_keys(&scope).await? {
                    keys::revoke(store, entropy, now, &scope, &key.id, Actor::CommandLine).await?;
                }
            }
            std::fs::create_dir_all(data_dir)?;
            std::fs::write(&file, serde_json::to_string_pretty(&DemoFile { workspace_id: id.to_string() })?)?;
            id
        }
    };
    for origin in host_origins {
        store.add_allowed_origin(&workspace_id, origin).await?;
    }
    let test = Scope { workspace_id: workspace_id.clone(), environment: Environment::Test };
    store.enable_integration(&test, "mock", now).await?;
    store.enable_integration(&test, "mock-cc", now).await?;
    store.enable_integration(&test, "mock-oauth", now).await?;
    Ok(workspace_id)
}

/// Gives the demo workspace an OAuth app on the mock provider (its demo client), so Mock OAuth
/// Provider is offered in the modal.
pub async fn seed_oauth_app(state: &crate::AppState, workspace_id: &WorkspaceId) -> Result<(), anyhow::Error> {
    let scope = Scope { workspace_id: workspace_id.clone(), environment: Environment::Test };
    let id = format!("oap_{}", crate::clock::random_hex(state.entropy.as_ref(), 16));
    crate::oauth::apps::put(
        crate::oauth::apps::AppStore { store: &state.store, vault: &state.vault, catalog: &state.catalog },
        &scope,
        crate::oauth::apps::NewApp {
            platform: "mock-oauth",
            client_id: portico_mock::DEMO_CLIENT_ID,
            client_secret: portico_mock::DEMO_CLIENT_SECRET,
            scopes: None,
            new_id: id,
        },
        state.clock.now_ms(),
    )
    .await?;
    Ok(())
}

/// Makes the demo operator (owner of the demo workspace) with a fresh password, returned to be
/// printed: like the host's key, it is never written to disk, and each start replaces it.
pub async fn seed_operator(
    store: &Store,
    entropy: &dyn Entropy,
    now: i64,
    workspace_id: &WorkspaceId,
) -> Result<String, anyhow::Error> {
    use crate::operators::{create_operator, password, Email, Role};
    let password = crate::clock::random_base62(entropy, 20);
    let email = Email::parse(DEMO_OPERATOR_EMAIL).ok_or_else(|| anyhow::anyhow!("bad demo email"))?;
    let id = match store.find_operator_by_email(email.as_str()).await? {
        Some(existing) => {
            store.set_operator_password(&existing.id, &password::hash_password(entropy, &password)?).await?;
            existing.id
        }
        None => create_operator(store, entropy, now, &email, &password, None).await?.id,
    };
    store.put_membership(&id, workspace_id, Role::Owner.as_str(), now).await?;
    Ok(password)
}

/// Rotates the demo host's secret key: a fresh one for this run, the previous ones revoked.
pub async fn rotate_host_key(
    store: &Store,
    entropy: &dyn Entropy,
    now: i64,
    workspace_id: &WorkspaceId,
) -> Result<String, anyhow::Error> {
    let scope = Scope { workspace_id: workspace_id.clone(), environment: Environment::Test };
    for key in store.list_secret_keys(&scope).await? {
        if key.label.as_deref() == Some(HOST_KEY_LABEL) && key.revoked_at.is_none() {
            keys::revoke(store, entropy, now, &scope, &key.id, Actor::CommandLine).await?;
        }
    }
    Ok(keys::create(store, entropy, now, &scope, Some(HOST_KEY_LABEL), Actor::CommandLine).await?.secret_key)
}

fn origins_for(addr: SocketAddr) -> Vec<String> {
    let mut origins = vec![format!("http://{addr}")];
    if addr.ip().is_loopback() {
        origins.push(format!("http://localhost:{}", addr.port()));
        origins.push(format!("http://127.0.0.1:{}", addr.port()));
    }
    origins.dedup();
    origins
}

pub async fn run(mut config: Config, options: DemoOptions) -> Result<(), anyhow::Error> {
    let mock_listener = TcpListener::bind(options.mock_listen)
        .await
        .map_err(|source| StartupError::Listen { addr: options.mock_listen, source })?;
    let mock = portico_mock::MockProvider::spawn(mock_listener, portico_mock::MockConfig::default())?;
    let mock_url = mock.url();
    if config.mock_provider_url != mock_url {
        config.passthrough.allow_private.retain(|o| o != &config.mock_provider_url);
        config.mock_provider_url = mock_url.clone();
    }
    if !config.passthrough.allow_private.contains(&mock_url) {
        config.passthrough.allow_private.push(mock_url.clone());
    }
    let host_listener = TcpListener::bind(options.host_listen)
        .await
        .map_err(|source| StartupError::Listen { addr: options.host_listen, source })?;
    let host_addr = host_listener.local_addr()?;

    let entropy: Arc<dyn Entropy> = Arc::new(OsEntropy);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let data_dir: PathBuf = config.data_dir.clone();
    let app = Application::build_with(config, clock.clone(), entropy.clone()).await?;
    let portico_url = app.state().config.public_url.clone();
    let store = app.state().store.clone();
    let now = clock.now_ms();
    let workspace_id = seed(&store, entropy.as_ref(), now, &data_dir, &origins_for(host_addr)).await?;
    let secret_key = rotate_host_key(&store, entropy.as_ref(), now, &workspace_id).await?;
    seed_oauth_app(app.state(), &workspace_id).await?;
    let operator_password = seed_operator(&store, entropy.as_ref(), now, &workspace_id).await?;

    let host = portico_demo_host::DemoHost::spawn(
        host_listener,
        portico_demo_host::DemoHostConfig {
            portico_url: portico_url.clone(),
            secret_key,
            users: DEMO_USERS.iter().map(|u| u.to_string()).collect(),
        },
    )?;
    let host_url = format!("http://localhost:{}", host.addr.port());
    let banner = format!(
        "\n  Portico demo is running.\n\n  ➜ Open {host_url} and click \"Connect an integration\".\n    \
         Pick Mock Provider and paste the API key {key},\n    or pick Mock OAuth Provider and approve the sign-in.\n\n  Portico:        {portico_url}  (dashboard at /)\n  \
         Dashboard sign-in:  {DEMO_OPERATOR_EMAIL} / {operator_password}\n  \
         Mock provider:  {mock_url}\n  Demo workspace: {workspace_id} (data in {data})\n\n  Ctrl-C stops everything.\n",
        key = portico_mock::DEMO_API_KEY,
        data = data_dir.display(),
    );
    println!("{banner}");
    app.run_on_workers(shutdown_signal()).await?;
    drop(host);
    drop(mock);
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
