-- What the admin HTTP API (API.md) needs beyond the contact store: company settings it
-- promises but the schema lacked, the help text PRODUCT.md §5 rule 4 asks for, and personal
-- API tokens.

-- API.md's company settings include an "unmatched default reply". Numbers had their own
-- (001); the company's is used by numbers that leave theirs empty (store/routing.cpp), as the
-- help reply already was. Empty: no reply to an unmatched MO.
ALTER TABLE companies ADD COLUMN default_reply text NOT NULL DEFAULT '';

-- Alphanumeric sender ids (PRODUCT.md §4: "sender number or alpha id") a company may send
-- from, beside its numbers; store::sender_allowed accepts them exactly as written here.
ALTER TABLE companies ADD COLUMN sender_ids text[] NOT NULL DEFAULT '{}';

-- PRODUCT.md §5 rule 4: every company has a non-empty help text with its name, how to stop,
-- how to get help and "Msg&data rates may apply"; it may change it but not empty it. 001
-- defaulted it to '' (HELP then went unanswered). A column default cannot name the company,
-- so a trigger fills it in when a company is created without one, existing companies get it
-- now, and a CHECK keeps every path (SQL by hand included) from emptying it.
CREATE FUNCTION default_help_reply(p_company_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_company_name || ': Reply STOP to opt out, HELP for help. Msg&data rates may apply.'
$$;

CREATE FUNCTION companies_default_help() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF btrim(NEW.help_reply) = '' THEN
    NEW.help_reply := default_help_reply(NEW.name);
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER companies_default_help BEFORE INSERT ON companies
FOR EACH ROW EXECUTE FUNCTION companies_default_help();

UPDATE companies SET help_reply = default_help_reply(name) WHERE btrim(help_reply) = '';
ALTER TABLE companies ADD CONSTRAINT companies_help_reply_set CHECK (btrim(help_reply) <> '');

-- Personal API tokens, for scripts that should not hold a user's password. Only a hash of
-- each token is kept: BLAKE2b-256 (libsodium crypto_generichash), not Argon2 like passwords,
-- because a token is 32 random bytes: nothing to guess, so a slow hash buys nothing, and a
-- fast one keeps every API request cheap. A token dies with its user (and company); revoked
-- tokens are kept, with when, for the audit trail.
CREATE TABLE api_tokens (
  id           bigserial PRIMARY KEY,
  company_id   bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
