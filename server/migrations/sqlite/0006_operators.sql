-- Operators of the dashboard: an email and an argon2id PHC string (never the password), their
-- memberships in workspaces, their sessions (hashed, with idle and absolute expiry) and the
-- failed sign-in counters that rate-limit guessing per account and per client address.
CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
    operator_id  TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (operator_id, workspace_id)
);

CREATE TABLE dashboard_sessions (
    id           TEXT PRIMARY KEY,
    session_hash BLOB NOT NULL UNIQUE,
    operator_id  TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX dashboard_sessions_by_operator ON dashboard_sessions(operator_id);

CREATE TABLE sign_in_attempts (
    subject      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER
);
