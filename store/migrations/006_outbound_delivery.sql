-- Outbound delivery that tells the truth (PRODUCT.md §6, issue 9):
--
-- 1. Claims held by a lease. Each daemon process (a "claimer") renews its row here while it
--    lives; its `submitting` rows are taken over by another daemon only once that lease has
--    run out. The claimer sets its own lease length, so daemons need not agree on one.
-- 2. Two more final states: `in_doubt` (the SMSC answered a submit, but the answer could not
--    be read: it may well have been accepted, so it is never resent automatically) and
--    `expired` (out of attempts or past the validity period, `error` says which).
-- 3. One key for a number whatever its spelling (`+61 410 000 001`, `61410000001`,
--    `+61410000001`): every comparison with the stop list goes through number_key(), and a
--    company holds one suppression per key.

CREATE TABLE outbox_claimers (
  claimer     text PRIMARY KEY,
  binds       text[] NOT NULL DEFAULT '{}',  -- the binds it serves
  renewed_at  timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz NOT NULL
);

ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
  CHECK (status IN ('queued', 'submitting', 'submitted', 'delivered', 'failed', 'suppressed',
                    'in_doubt', 'expired'));

-- Digits only for anything that reads as a phone number (a leading +, spaces, dots, dashes
-- and parentheses ignored); any other address (alphanumeric) lower-cased as it is.
CREATE FUNCTION number_key(p_number text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT CASE WHEN p_number ~ '^\s*\+?[0-9 ().-]*[0-9][0-9 ().-]*$'
              THEN regexp_replace(p_number, '[^0-9]', '', 'g')
              ELSE lower(btrim(p_number)) END
$$;

ALTER TABLE suppressions ADD COLUMN number_key text GENERATED ALWAYS AS (number_key(number)) STORED;
-- A number stored twice in two spellings is one suppression: keep the oldest.
DELETE FROM suppressions s USING suppressions older
WHERE older.company_id = s.company_id AND older.number_key = s.number_key
  AND (older.created_at, older.number) < (s.created_at, s.number);
CREATE UNIQUE INDEX suppressions_key ON suppressions (company_id, number_key);

-- Sends compare recipients with the stop list by key.
CREATE FUNCTION stop_keys(p_company bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  SELECT s.number_key FROM suppressions s WHERE s.company_id = p_company
$$;

CREATE OR REPLACE FUNCTION send_recipients(p_user bigint, p_groups bigint[], p_tree bigint[],
                                           p_contacts bigint[], p_numbers text[])
RETURNS TABLE (number text)
LANGUAGE sql STABLE AS $$
  SELECT DISTINCT e.number FROM send_entries(p_user, p_groups, p_tree, p_contacts, p_numbers) e
  WHERE e.visible AND e.number IS NOT NULL
    AND number_key(e.number) NOT IN (
      SELECT stop_keys(u.company_id) FROM users u WHERE u.id = p_user)
$$;

DROP FUNCTION stop_numbers(bigint);

-- Why a row may not be tried at `p_next_try` (NULL: it may): the one rule of expiry, used by
-- the claim, a retry and the periodic upkeep alike.
CREATE FUNCTION outbox_expiry(p_created_at timestamptz, p_attempts integer,
                              p_next_try timestamptz, p_max_attempts integer,
                              p_validity_seconds double precision) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_next_try >= p_created_at + make_interval(secs => p_validity_seconds)
              THEN format('validity period of %s s passed after %s attempts',
                          p_validity_seconds, p_attempts)
              WHEN p_attempts >= p_max_attempts
              THEN format('no attempts left after %s', p_attempts) END
$$;
