-- The outbox takes a send's rows in bulk: expanding a 1,000,000-member group into it must
-- take under 10 s (issue 4). Measured with bench/store_bench.cpp --outbox-variant (Release,
-- PostgreSQL 15 with default settings but fsync=off, 2 cores, two of the four runs beside
-- another build; each variant on committed inserts, interleaved in both orders, after a
-- VACUUM and a CHECKPOINT), as reader (750,000 rows) / admin (1,000,000 rows):
--
--   001-003's outbox (baseline)                         9.9-14.5 s / 12.4-18.4 s
--   (b) outbox_recent only for replies                  8.1-11.2 s / 10.4-14.0 s
--   (c) (b) without the inbound_id foreign key          7.3- 9.8 s /  8.7-12.4 s
--   (d) (c) without the company_id foreign key          5.1- 5.8 s /  5.9- 8.0 s
--   (b) without the company_id foreign key (this)       5.2- 5.9 s /  6.3- 8.3 s
--   (d) plus an index on outbox (company_id)            6.7- 7.4 s /  7.1- 7.8 s
--   after this migration (default bench run)            4.7- 5.8 s /  5.7- 7.4 s
--
-- (b) and (c) miss the target or meet it without margin; the company_id foreign key is what
-- matters. So this migration makes two changes, and keeps the inbound_id foreign key:
--
-- 1. `outbox_recent` (destination, created_at) only indexes replies: only the reply dedupe
--    in store/inbound.cpp (queue_reply, which now also says `kind = 'reply'`) reads it, and
--    a text key in random order for every sent row cost 2-4 s per million.
--
-- 2. No foreign key from outbox.company_id: its per-row check (a key-share lock on the same
--    companies row, a million times) cost about 4 s per million. Deleting a company still
--    deletes its outbox rows, through the statement trigger below. A concurrent send or
--    reply leaves no orphans (at READ COMMITTED, the default): both write, in their
--    transaction, a row whose own foreign key locks the company (messages.company_id,
--    inbound_log.company_id), so a company delete waits for them and its trigger then sees
--    their rows, or they wait for the delete and fail (both tried by hand).
--    No index on outbox (company_id) for that delete: it costs 1-1.5 s per million sent
--    rows (and 20% more WAL), while the delete's scan of the outbox took 0.2-0.3 s per
--    million rows, for an operation nothing in the daemon performs. The foreign key's
--    cascade scanned the outbox too (no index on outbox.company_id), once per company row.
--
-- The inbound_id foreign key stays: sends leave it NULL, and its check then cost about
-- 0.3 s per million, within the noise ((d) against this). Nothing deletes inbound_log rows
-- today but a company's deletion, which deletes that company's outbox rows as well.
--
-- The index is rebuilt inside the migration's transaction: outbox writes wait for the time
-- a scan of the outbox takes.

DROP INDEX outbox_recent;
CREATE INDEX outbox_recent ON outbox (destination, created_at) WHERE kind = 'reply';

ALTER TABLE outbox DROP CONSTRAINT outbox_company_id_fkey;

CREATE FUNCTION outbox_after_company_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM outbox o USING old_companies c WHERE o.company_id = c.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_after_company_delete AFTER DELETE ON companies
REFERENCING OLD TABLE AS old_companies
FOR EACH STATEMENT EXECUTE FUNCTION outbox_after_company_delete();
