-- Web console sessions (PRODUCT.md §9). A person signed in to the console holds a session
-- cookie, not their password: the cookie's secret is 32 random bytes, of which only a
-- BLAKE2b-256 hash is kept, as for API tokens (005). A session ends when it is signed out,
-- when it was idle too long, at its absolute expiry, or when its user's password changes or
-- the user is deleted.
CREATE TABLE console_sessions (
  id           bigserial PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  secret_hash  bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
