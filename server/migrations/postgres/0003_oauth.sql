-- OAuth: operators' own OAuth apps, sign-in attempts (state and PKCE), token expiry and refresh
-- bookkeeping on connections, the cross-replica refresh lease, and the event log.

-- One OAuth app per workspace, environment and platform (no shared Portico app: self-hosted).
CREATE TABLE oauth_apps (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment   TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    platform      TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    client_secret BYTEA NOT NULL,
    vault_key_id  TEXT NOT NULL,
    scopes        TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, environment, platform)
);
CREATE INDEX oauth_apps_by_vault_key ON oauth_apps(vault_key_id);

-- One sign-in: created by the modal, started in the popup (state issued), finished by the
-- callback. The state is stored hashed; the PKCE verifier sealed.
CREATE TABLE oauth_attempts (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment     TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    token_id        TEXT NOT NULL,
    identity        TEXT NOT NULL,
    identity_type   TEXT NOT NULL,
    tags            TEXT NOT NULL,
    platform        TEXT NOT NULL,
    connection_id   TEXT,
    mode            TEXT NOT NULL,
    return_to       TEXT,
    state_hash      BYTEA UNIQUE,
    pkce_verifier   BYTEA NOT NULL,
    vault_key_id    TEXT NOT NULL,
    status          TEXT NOT NULL,
    error_code      TEXT,
    error_message   TEXT,
    result_connection_id TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    started_at      BIGINT,
    finished_at     BIGINT
);
CREATE INDEX oauth_attempts_by_expiry ON oauth_attempts(expires_at);
CREATE INDEX oauth_attempts_by_vault_key ON oauth_attempts(vault_key_id);

-- When the access token expires, consecutive refresh failures, and when to try again.
ALTER TABLE connections ADD COLUMN expires_at BIGINT;
ALTER TABLE connections ADD COLUMN refresh_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN retry_refresh_at BIGINT;
CREATE INDEX connections_by_expiry ON connections(status, expires_at) WHERE expires_at IS NOT NULL;

-- Single-flight refresh across replicas: whoever holds an unexpired lease refreshes.
CREATE TABLE refresh_leases (
    connection_id TEXT PRIMARY KEY,
    holder        TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);

-- What happened to connections (created, deleted, refresh_failed, reauthorized), for webhooks
-- and the dashboard's log. Never holds secrets.
CREATE TABLE events (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment   TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    name          TEXT NOT NULL,
    connection_id TEXT,
    data          TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX events_by_scope ON events(workspace_id, environment, id);
