#![no_main]
//! Vault envelopes read back from the database: decoding never panics, and no byte string that the
//! vault did not seal (for this row) ever opens.
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use portico::clock::OsEntropy;
use portico::tenancy::{Environment, Scope, WorkspaceId};
use portico::vault::{Binding, Envelope, Vault};

fuzz_target!(|data: &[u8]| {
    let _ = Envelope::decode(data);
    let vault = Vault::new(&[9u8; 32], &[&[8u8; 32]], Arc::new(OsEntropy));
    let scope = Scope {
        workspace_id: WorkspaceId::parse("ws_0123456789abcdef0123456789abcdef").unwrap(),
        environment: Environment::Test,
    };
    let binding = Binding { scope: &scope, table: "connections", record_id: "c", field: "credentials" };
    assert!(vault.open(binding, data).is_err(), "forged an envelope");
});
