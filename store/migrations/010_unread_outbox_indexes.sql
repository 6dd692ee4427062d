-- Two outbox indexes that nothing reads any more, and the row type of a batch of MOs.
--
-- - `outbox_recent` (destination, created_at) served the 30-second reply window, which
--   redelivery by the MO's identity (mo_last, migration 007) replaced.
-- - `outbox_smsc_id` (smsc_message_id): receipts find their part in outbox_submits, by its
--   own index; the outbox keeps the first part's id for display only.
-- Every reply's insert paid the first, and every accepted submit's update paid both (an
-- update that changes an indexed column adds an entry to every index of the row).
DROP INDEX IF EXISTS outbox_recent;
DROP INDEX IF EXISTS outbox_smsc_id;

-- One decided MO of a batch (store/sql/inbound.sql): apply_mos reads its JSON argument into
-- an array of these once, and each statement unnests the array instead of parsing the JSON.
CREATE TYPE mo_input AS (n integer, bind text, source text, destination text, text text,
                         data_coding integer, digest text, company bigint, decision text,
                         keyword bigint, grp bigint, reply text, reply_bind text);
