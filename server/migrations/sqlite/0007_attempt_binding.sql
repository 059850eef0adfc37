-- OAuth sign-ins are bound to the window that asked for them: the attempt keeps the hash of a
-- one-time start secret, which only its creator receives and which `/oauth/start` requires (in a
-- POST from Portico's own origin, or from the host page in redirect mode).
ALTER TABLE oauth_attempts ADD COLUMN start_secret_hash BLOB;
