-- The passthrough call log (for the dashboard's log) and shared rate-limit counters.

CREATE TABLE passthrough_calls (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment   TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    connection_id TEXT NOT NULL,
    platform      TEXT NOT NULL,
    action_id     TEXT,
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    status        INTEGER NOT NULL,
    error_code    TEXT,
    attempts      INTEGER NOT NULL,
    latency_ms    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX passthrough_calls_by_scope ON passthrough_calls(workspace_id, environment, created_at);
CREATE INDEX passthrough_calls_by_connection ON passthrough_calls(workspace_id, environment, connection_id, created_at);

-- Fixed-window counters every replica adds its counts to.
CREATE TABLE rate_counters (
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
