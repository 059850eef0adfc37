-- The passthrough call log (for the dashboard's log), shared rate-limit counters, and connection counts.

-- An integer key: rows append in order instead of landing in random pages.
CREATE TABLE passthrough_calls (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment   TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    connection_id TEXT NOT NULL,
    platform      TEXT NOT NULL,
    action_id     TEXT,
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    status        BIGINT NOT NULL,
    error_code    TEXT,
    attempts      BIGINT NOT NULL,
    latency_ms    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX passthrough_calls_by_scope ON passthrough_calls(workspace_id, environment, id);
CREATE INDEX passthrough_calls_by_connection ON passthrough_calls(workspace_id, environment, connection_id, id);

-- Fixed-window counters every replica adds its counts to.
CREATE TABLE rate_counters (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- Connections per scope and platform, kept in step with `connections` in the same transaction, so
-- a listing's total at a million rows is a handful of rows, not a scan.
CREATE TABLE connection_counts (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    environment  TEXT NOT NULL,
    platform     TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, environment, platform)
);
INSERT INTO connection_counts (workspace_id, environment, platform, n)
    SELECT workspace_id, environment, platform, COUNT(*) FROM connections GROUP BY workspace_id, environment, platform;

-- One row per tag of a connection, so tag filters use an index instead of scanning the JSON copy
-- kept on the connection for display.
CREATE TABLE connection_tags (
    workspace_id  TEXT NOT NULL,
    environment   TEXT NOT NULL,
    tag           TEXT NOT NULL,
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, environment, tag, connection_id)
);
CREATE INDEX connection_tags_by_connection ON connection_tags(connection_id);
CREATE INDEX connections_by_status ON connections(workspace_id, environment, status, created_at);

-- Listing indexes that carry the row id, so a page is found (and deep pages skipped) in the index
-- alone; the full rows are read only for the page itself.
DROP INDEX connections_by_scope;
DROP INDEX connections_by_identity;
DROP INDEX connections_by_platform;
DROP INDEX connections_by_status;
CREATE INDEX connections_by_scope ON connections(workspace_id, environment, created_at, id);
CREATE INDEX connections_by_identity ON connections(workspace_id, environment, identity, identity_type, created_at, id);
CREATE INDEX connections_by_platform ON connections(workspace_id, environment, platform, created_at, id);
CREATE INDEX connections_by_status ON connections(workspace_id, environment, status, created_at, id);
CREATE INDEX connection_tags_by_time ON connection_tags(workspace_id, environment, tag, created_at, connection_id);
