-- Portico's first schema. Timestamps are milliseconds since the Unix epoch; secrets are vault
-- envelopes (BLOB) or hashes, never plain text.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE allowed_origins (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    origin       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, origin)
);
CREATE INDEX allowed_origins_by_origin ON allowed_origins(origin);

CREATE TABLE secret_keys (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment    TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    key_hash       BLOB NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    label          TEXT,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    revoked_at     INTEGER
);
CREATE INDEX secret_keys_by_scope ON secret_keys(workspace_id, environment);

CREATE TABLE authkit_tokens (
    id                   TEXT PRIMARY KEY,
    token_hash           BLOB NOT NULL UNIQUE,
    link_hash            BLOB NOT NULL UNIQUE,
    workspace_id         TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment          TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    identity             TEXT NOT NULL,
    identity_type        TEXT NOT NULL,
    allowed_integrations TEXT,
    tags                 TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    revoked_at           INTEGER
);
CREATE INDEX authkit_tokens_by_expiry ON authkit_tokens(expires_at);

CREATE TABLE enabled_integrations (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment  TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    platform     TEXT NOT NULL,
    enabled_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, environment, platform)
);

CREATE TABLE connections (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment    TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    platform       TEXT NOT NULL,
    config_key     TEXT NOT NULL,
    connection_key TEXT NOT NULL UNIQUE,
    identity       TEXT,
    identity_type  TEXT,
    name           TEXT NOT NULL,
    tags           TEXT NOT NULL,
    status         TEXT NOT NULL,
    active         INTEGER NOT NULL,
    credentials    BLOB NOT NULL,
    vault_key_id   TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX connections_by_scope ON connections(workspace_id, environment, created_at);
CREATE INDEX connections_by_identity ON connections(workspace_id, environment, identity, identity_type, created_at);
CREATE INDEX connections_by_platform ON connections(workspace_id, environment, platform, created_at);
CREATE INDEX connections_by_vault_key ON connections(vault_key_id);
