-- The inbound path: routes held in memory, redelivery recognised by the MO itself,
-- refusals with their reason.
--
-- The daemons hold routes (a number, its company's rules, its keywords) in memory
-- (store::route_cache) so that no MO reads its route from the database. Whatever changes
-- what a route is made of, through any daemon, the admin API or plain SQL, moves
-- route_version on in the same transaction; every MO transaction reads it first, and a
-- daemon forgets its routes when it moved. Statement-level: a change of many rows counts
-- once. None of these tables is written by the MO path, and their writers are few (an
-- admin editing keywords), so the one row they all update is no bottleneck.
CREATE TABLE route_version (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL DEFAULT 0
);
INSERT INTO route_version DEFAULT VALUES;

CREATE FUNCTION bump_route_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE route_version SET version = version + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER numbers_route_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON numbers
FOR EACH STATEMENT EXECUTE FUNCTION bump_route_version();

CREATE TRIGGER keywords_route_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON keywords
FOR EACH STATEMENT EXECUTE FUNCTION bump_route_version();

CREATE TRIGGER companies_route_version
AFTER UPDATE OF stop_words, start_words, stop_matching, stop_reply, start_reply, help_reply,
  default_reply OR DELETE OR TRUNCATE ON companies
FOR EACH STATEMENT EXECUTE FUNCTION bump_route_version();

-- What each source last texted to each number on each bind (PRODUCT.md §6): an MO that is
-- that very one again (same data coding, parts and bytes: digest) within
-- inbound.redelivery_window of the first time, and whose effects change nothing, is the SMSC
-- delivering it again: no reply. Only the last MO counts, so a person's MOVIE, MOVIE STOP,
-- MOVIE is three MOs. Rows older than the window are pruned by the daemons' upkeep.
CREATE TABLE mo_last (
  bind        text NOT NULL,
  source      text NOT NULL,
  destination text NOT NULL,
  digest      text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bind, source, destination)
);
CREATE INDEX mo_last_received ON mo_last (received_at);

-- Why an MO was refused (decision 'refused': one that no redelivery can fix).
ALTER TABLE inbound_log ADD COLUMN reason text;
