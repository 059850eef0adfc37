-- Agent tokens: an AI agent's short-lived credential for one identity's tools (MCP and the tool
-- export), stored as a hash, optionally limited to some platforms and actions.
CREATE TABLE agent_tokens (
    id            TEXT PRIMARY KEY,
    token_hash    BLOB NOT NULL UNIQUE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment   TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    key_id        TEXT NOT NULL,
    identity      TEXT NOT NULL,
    identity_type TEXT NOT NULL,
    platforms     TEXT,
    actions       TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX agent_tokens_by_expiry ON agent_tokens(expires_at);
