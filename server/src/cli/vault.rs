//! `portico vault …`: keys, status, online rotation.

use clap::Subcommand;
use serde_json::json;

use super::{print, vault_and_store};
use crate::clock::{Entropy, OsEntropy};
use base64::Engine;

#[derive(Debug, Subcommand)]
pub(super) enum VaultCommand {
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

pub(super) async fn vault(command: VaultCommand) -> Result<(), anyhow::Error> {
    let entropy = OsEntropy;
    match command {
        VaultCommand::Status { json } => {
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
        VaultCommand::Rotate { batch_size, json } => {
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
        VaultCommand::GenerateKey => {
            let mut key = zeroize::Zeroizing::new([0u8; 32]);
            entropy.fill(&mut *key);
            println!("{}", base64::engine::general_purpose::STANDARD.encode(*key));
        }
    }
    Ok(())
}
