//! `portico operator …`: create dashboard operators. The password comes from a file or standard
//! input, never from a flag (flags end up in shell history and the process list).

use std::io::Read;

use clap::Subcommand;
use serde_json::json;

use super::{admin_store, ensure_workspace, print};
use crate::clock::{Clock, OsEntropy, SystemClock};
use crate::operators::{create_operator, Email, Role};
use crate::tenancy::WorkspaceId;

#[derive(Debug, Subcommand)]
pub(super) enum OperatorCommand {
    /// Create an operator who signs in to the dashboard.
    Create {
        #[arg(long)]
        email: String,
        /// A file holding the password (its first line), or `-` for standard input (the default).
        #[arg(long, default_value = "-")]
        password_file: String,
        /// A workspace to make the operator a member of.
        #[arg(long)]
        workspace: Option<String>,
        /// The operator's role in `--workspace`.
        #[arg(long, value_parser = ["owner", "member"], default_value = "owner", requires = "workspace")]
        role: String,
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn operator(command: OperatorCommand) -> Result<(), anyhow::Error> {
    match command {
        OperatorCommand::Create { email, password_file, workspace, role, json } => {
            let email = Email::parse(&email).ok_or_else(|| anyhow::anyhow!("--email is not an email address"))?;
            let password = read_password(&password_file)?;
            let store = admin_store().await?;
            let workspace = match workspace {
                Some(raw) => {
                    let id =
                        WorkspaceId::parse(&raw).ok_or_else(|| anyhow::anyhow!("--workspace must look like ws_…"))?;
                    ensure_workspace(&store, &id).await?;
                    Some(id)
                }
                None => None,
            };
            let role = Role::parse(&role).unwrap_or(Role::Owner);
            let membership = workspace.as_ref().map(|id| (id, role));
            let created =
                create_operator(&store, &OsEntropy, SystemClock.now_ms(), &email, &password, membership).await?;
            let human = match &workspace {
                Some(id) => format!("Created operator {} ({}), {} of {id}.", created.email, created.id, role.as_str()),
                None => format!("Created operator {} ({}).", created.email, created.id),
            };
            print(
                json,
                json!({"operatorId": created.id, "email": created.email, "workspaceId": workspace.map(|w| w.to_string()), "role": role.as_str()}),
                human,
            );
        }
    }
    Ok(())
}

/// The first line of the file (or of standard input for `-`), without its line ending.
fn read_password(source: &str) -> Result<String, anyhow::Error> {
    let mut text = String::new();
    if source == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(source).map_err(|e| anyhow::anyhow!("cannot read {source}: {e}"))?;
    }
    let line = text.lines().next().unwrap_or_default().to_string();
    if line.is_empty() {
        anyhow::bail!("no password given: write it to standard input or to the --password-file");
    }
    Ok(line)
}
