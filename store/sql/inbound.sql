-- The effects of decided MOs (store/inbound.hpp, apply_decisions), a batch at a time: one
-- round trip and one statement per kind of effect for the batch. The keyword engine decides
-- in C++ (keywords/decide.cpp); this applies the decisions. Every effect is idempotent, so a
-- redelivery changes nothing:
--   - each MO is recorded as what its source last sent to its destination on its bind
--     (mo_last); the very same MO again within p_window seconds is a redelivery when its
--     effects change nothing, and is logged as `redelivered`, with no reply;
--   - one sender's MOs to one company apply one at a time, across daemons too (advisory
--     locks): MOVIE and a STOP right behind it must not interleave;
--   - consent is recorded only when something changed;
--   - replies never go to a suppressed number, the confirmation of a new company stop and
--     HELP excepted (carrier rules: HELP is always answered, and every time).
-- A reply is queued claimed by p_claimed_by, so that the caller submits it right after its
-- commit.
DROP FUNCTION IF EXISTS apply_mo(text, text, text, text, integer, text, double precision,
                                 bigint, text, bigint, bigint, text, text, text);

-- Replaced by apply_mos's `mos` array (below).
DROP FUNCTION IF EXISTS mo_batch(jsonb);

-- A batch of decided MOs (store/inbound.cpp, apply_decisions) is a JSON array of objects
-- with mo_input's keys (migration 010), `n` numbering them 1..N; it is read once, into
-- `mos`, which each statement unnests. PostgreSQL starts each statement, fires each
-- statement trigger and checks each plan once per batch, not once per MO. An MO's
-- `company` is null for a destination no company owns; its `decision` is
-- keywords::to_string. No two MOs of a batch may share a source (the pipeline's sender
-- turns make sure of it): each MO's keys (mo_last, contact, membership) are then distinct
-- within the batch. One row per MO, in order.
-- An empty batch runs every statement (each kind's too) on no rows, and so writes nothing:
-- it is the warm-up of a new connection (store/inbound.hpp, warm_up_inbound), which then
-- has the function compiled and each statement planned before its first MO.
CREATE OR REPLACE FUNCTION apply_mos(p_mos jsonb, p_window double precision,
                                     p_claimed_by text)
RETURNS TABLE (n integer, inbound_id bigint, redelivered boolean, reply_id bigint,
               reply_claimed_at text)
LANGUAGE plpgsql AS $$
DECLARE
  mos mo_input[] := ARRAY(SELECT m FROM jsonb_populate_recordset(NULL::mo_input, p_mos) m);
  kinds text[];          -- the decisions of routed MOs: statements for others are skipped
  fresh integer[];       -- the MOs not seen before (mo_last)
  ids bigint[];          -- each MO's inbound_log id, by n
  stopped integer[] := '{}';  -- company stops that added a suppression
  oi_n integer[] := '{}';     -- opt-ins whose group exists, and their contacts
  oi_contact bigint[] := '{}';
  joined integer[] := '{}';   -- opt-ins that added a membership
  lifted integer[] := '{}';   -- starts and opt-ins that lifted a suppression
  oo_n integer[] := '{}';     -- opt-outs that removed a membership, and their contacts
  oo_contact bigint[] := '{}';
  changed integer[];
  repeated integer[];    -- redeliveries: seen, and nothing changed
BEGIN
  kinds := CASE WHEN cardinality(mos) = 0
                THEN ARRAY['company_stop', 'opt_in', 'company_start', 'opt_out']
                ELSE ARRAY(SELECT DISTINCT m.decision FROM unnest(mos) m
                           WHERE m.company IS NOT NULL) END;

  WITH w AS (
    INSERT INTO mo_last AS l (bind, source, destination, digest)
    SELECT m.bind, m.source, m.destination, m.digest FROM unnest(mos) m
    ORDER BY m.bind, m.source, m.destination
    ON CONFLICT (bind, source, destination) DO UPDATE
    SET digest = excluded.digest, received_at = now()
    WHERE l.digest <> excluded.digest
       OR l.received_at < now() - make_interval(secs => p_window)
    RETURNING l.bind, l.source, l.destination)
  SELECT coalesce(array_agg(m.n), '{}') INTO fresh
  FROM w JOIN unnest(mos) m USING (bind, source, destination);

  ids := ARRAY(SELECT nextval('inbound_log_id_seq') FROM unnest(mos) m ORDER BY m.n);

  -- The sender locks, in key order (two batches never wait for each other crosswise).
  IF cardinality(kinds) > 0 THEN
    PERFORM pg_advisory_xact_lock(s.k)
    FROM (SELECT DISTINCT hashtext(m.company::text || chr(31) || m.source) AS k
          FROM unnest(mos) m WHERE m.company IS NOT NULL ORDER BY 1) s;
  END IF;

  IF 'company_stop' = ANY (kinds) THEN
    WITH a AS (
      INSERT INTO suppressions (company_id, number, source)
      SELECT m.company, m.source, 'sms' FROM unnest(mos) m
      WHERE m.company IS NOT NULL AND m.decision = 'company_stop'
      ON CONFLICT DO NOTHING
      RETURNING company_id, number)
    SELECT coalesce(array_agg(m.n), '{}') INTO stopped
    FROM a JOIN unnest(mos) m ON m.company = a.company_id AND m.source = a.number
                                AND m.decision = 'company_stop';
  END IF;

  IF 'opt_in' = ANY (kinds) THEN
    WITH c AS (
      INSERT INTO contacts (company_id, domain_id, number)
      SELECT m.company, g.domain_id, m.source
      FROM unnest(mos) m JOIN groups g ON g.id = m.grp AND g.company_id = m.company
      WHERE m.decision = 'opt_in'
      ORDER BY g.domain_id, m.source
      ON CONFLICT (domain_id, number) DO UPDATE SET updated_at = now()
      RETURNING id, domain_id, number)
    SELECT coalesce(array_agg(m.n ORDER BY m.n), '{}'), coalesce(array_agg(c.id ORDER BY m.n), '{}')
    INTO oi_n, oi_contact
    FROM c JOIN groups g ON g.domain_id = c.domain_id
           JOIN unnest(mos) m ON m.grp = g.id AND m.source = c.number
                                  AND m.decision = 'opt_in';

    WITH a AS (
      INSERT INTO group_contacts (group_id, contact_id)
      SELECT m.grp, o.contact FROM unnest(oi_n, oi_contact) o(n, contact)
      JOIN unnest(mos) m USING (n)
      ORDER BY 1, 2
      ON CONFLICT DO NOTHING
      RETURNING group_id, contact_id)
    SELECT coalesce(array_agg(o.n), '{}') INTO joined
    FROM a JOIN unnest(oi_n, oi_contact) o(n, contact) ON o.contact = a.contact_id
           JOIN unnest(mos) m ON m.n = o.n AND m.grp = a.group_id;
  END IF;

  -- An explicit opt-in is fresh consent, as START is.
  IF 'opt_in' = ANY (kinds) OR 'company_start' = ANY (kinds) THEN
    WITH l AS (
      DELETE FROM suppressions s USING unnest(mos) m
      WHERE s.company_id = m.company AND s.number_key = number_key(m.source)
        AND (m.decision = 'company_start' OR m.n = ANY (oi_n))
      RETURNING m.n)
    SELECT coalesce(array_agg(DISTINCT l.n), '{}') INTO lifted FROM l;
  END IF;

  IF 'opt_out' = ANY (kinds) THEN
    WITH r AS (
      DELETE FROM group_contacts gc USING contacts ct, unnest(mos) m
      WHERE m.decision = 'opt_out' AND m.company IS NOT NULL AND gc.group_id = m.grp
        AND gc.contact_id = ct.id AND ct.company_id = m.company AND ct.number = m.source
      RETURNING m.n, ct.id)
    SELECT coalesce(array_agg(s.n ORDER BY s.n), '{}'), coalesce(array_agg(s.id ORDER BY s.n), '{}')
    INTO oo_n, oo_contact
    FROM (SELECT r.n, min(r.id) AS id FROM r GROUP BY r.n) s;
  END IF;

  changed := stopped || lifted || joined || oo_n || ARRAY(
    SELECT m.n FROM unnest(mos) m
    WHERE m.company IS NOT NULL AND m.decision IN ('keyword_help', 'company_help'));
  repeated := ARRAY(SELECT m.n FROM unnest(mos) m
                    WHERE NOT m.n = ANY (fresh) AND NOT m.n = ANY (changed));

  INSERT INTO inbound_log (id, company_id, bind, source, destination, text, data_coding,
                           decision, keyword_id)
  SELECT ids[m.n], m.company, m.bind, m.source, m.destination, m.text, m.data_coding,
         CASE WHEN m.n = ANY (repeated) THEN 'redelivered'
              WHEN m.company IS NULL THEN 'unrouted' ELSE m.decision END,
         m.keyword
  FROM unnest(mos) m ORDER BY m.n;

  IF cardinality(stopped) + cardinality(lifted) + cardinality(joined) + cardinality(oo_n) > 0
     OR cardinality(mos) = 0 THEN
    INSERT INTO consent_audit (company_id, number, action, contact_id, group_id, keyword_id,
                               inbound_id, text)
    SELECT m.company, m.source, e.action, e.contact,
           CASE WHEN e.action IN ('opt_in', 'opt_out') THEN m.grp END,
           CASE WHEN e.action IN ('opt_in', 'opt_out') THEN m.keyword END, ids[m.n], m.text
    FROM unnest(mos) m JOIN (
      SELECT s.n, 'stop' AS action, NULL::bigint AS contact FROM unnest(stopped) s(n)
      UNION ALL
      SELECT x.n, 'start', NULL FROM unnest(mos) x
      WHERE x.decision = 'company_start' AND x.n = ANY (lifted)
      UNION ALL
      SELECT o.n, 'opt_in', o.contact FROM unnest(oi_n, oi_contact) o(n, contact)
      WHERE o.n = ANY (joined) OR o.n = ANY (lifted)
      UNION ALL
      SELECT o.n, 'opt_out', o.contact FROM unnest(oo_n, oo_contact) o(n, contact)
    ) e ON e.n = m.n
    ORDER BY m.n;
  END IF;

  -- Replies: none to a redelivery, none to a stop that was already in force; HELP and a new
  -- stop's confirmation reach a suppressed number, nothing else does.
  RETURN QUERY
  WITH q AS (
    INSERT INTO outbox (company_id, kind, inbound_id, source, destination, text, bind,
                        bypass_suppression, status, claimed_by, claimed_at, attempts)
    SELECT m.company, 'reply', ids[m.n], m.destination, m.source, m.reply, m.reply_bind,
           b.bypass, 'submitting', p_claimed_by, now(), 1
    FROM unnest(mos) m
    CROSS JOIN LATERAL (SELECT m.decision IN ('keyword_help', 'company_help')
                               OR m.n = ANY (stopped) AS bypass) b
    WHERE m.company IS NOT NULL AND m.reply <> '' AND NOT m.n = ANY (repeated)
      AND (m.decision <> 'company_stop' OR m.n = ANY (stopped))
      AND (b.bypass OR NOT EXISTS (
             SELECT 1 FROM suppressions s
             WHERE s.company_id = m.company AND s.number_key = number_key(m.source)))
    ORDER BY m.n
    RETURNING outbox.id, outbox.inbound_id, outbox.claimed_at::text AS at)
  SELECT m.n, ids[m.n], m.n = ANY (repeated), q.id, q.at
  FROM unnest(mos) m LEFT JOIN q ON q.inbound_id = ids[m.n]
  ORDER BY m.n;
END
$$;
