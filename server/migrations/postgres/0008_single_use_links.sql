-- Connect links are single-use (review finding #2): the first exchange stamps `link_used_at`, and
-- the token it issues carries the minted token's `session_id`, so one session keeps one budget of
-- connect attempts however its token was obtained. NULL session_id: the row is its own session.
ALTER TABLE authkit_tokens ADD COLUMN link_used_at BIGINT;
ALTER TABLE authkit_tokens ADD COLUMN session_id TEXT;
