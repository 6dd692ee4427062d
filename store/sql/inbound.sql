-- The effects of one decided MO (store/inbound.hpp, apply_decision), in one call: one round
-- trip per MO instead of one per statement, in a batch that holds up to a window of MOs in
-- one transaction. The keyword engine decides in C++ (keywords/decide.cpp); this applies
-- the decision. Every effect is idempotent, so a redelivery changes nothing:
--   - the MO is recorded as what its source last sent to its destination on its bind
--     (mo_last); the very same MO again within p_window seconds is a redelivery when its
--     effects change nothing, and is logged as `redelivered`, with no reply;
--   - one sender's MOs to one company apply one at a time, across daemons too (an advisory
--     lock): MOVIE and a STOP right behind it must not interleave;
--   - consent is recorded only when something changed;
--   - replies never go to a suppressed number, the confirmation of a new company stop and
--     HELP excepted (carrier rules: HELP is always answered, and every time).
-- p_company is NULL for a destination no company owns; p_decision is keywords::to_string.
-- The reply is queued claimed by p_claimed_by, so that the caller submits it right after
-- its commit.
CREATE OR REPLACE FUNCTION apply_mo(
  p_bind text, p_source text, p_destination text, p_text text, p_data_coding integer,
  p_digest text, p_window double precision, p_company bigint, p_decision text,
  p_keyword bigint, p_group bigint, p_reply text, p_reply_bind text, p_claimed_by text,
  OUT inbound_id bigint, OUT redelivered boolean, OUT reply_id bigint,
  OUT reply_claimed_at text)
LANGUAGE plpgsql AS $$
DECLARE
  seen boolean;
  changed boolean := false;
  bypass boolean := false;
  reply text := p_reply;
  contact bigint;
  consent text;  -- the consent audit's action, when something changed
  added boolean;
  lifted boolean;
BEGIN
  redelivered := false;
  -- The row is locked by whichever delivery writes it first: a redelivery racing the first
  -- (another daemon, or the SMSC resending while the first is in hand) waits and sees it.
  INSERT INTO mo_last AS l (bind, source, destination, digest)
  VALUES (p_bind, p_source, p_destination, p_digest)
  ON CONFLICT (bind, source, destination) DO UPDATE
  SET digest = excluded.digest, received_at = now()
  WHERE l.digest <> excluded.digest OR l.received_at < now() - make_interval(secs => p_window);
  seen := NOT FOUND;

  INSERT INTO inbound_log (company_id, bind, source, destination, text, data_coding, decision,
                           keyword_id)
  VALUES (p_company, p_bind, p_source, p_destination, p_text, p_data_coding,
          CASE WHEN p_company IS NULL THEN 'unrouted' ELSE p_decision END, p_keyword)
  RETURNING id INTO inbound_id;

  IF p_company IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext(p_company::text || chr(31) || p_source));
    CASE p_decision
      WHEN 'company_stop' THEN
        INSERT INTO suppressions (company_id, number, source)
        VALUES (p_company, p_source, 'sms') ON CONFLICT DO NOTHING;
        added := FOUND;
        IF added THEN consent := 'stop'; END IF;
        -- One confirmation: a number that was already suppressed hears nothing more.
        bypass := added;
        changed := added;
        IF NOT added THEN reply := ''; END IF;
      WHEN 'company_start' THEN
        DELETE FROM suppressions
        WHERE company_id = p_company AND number_key = number_key(p_source);
        changed := FOUND;
        IF changed THEN consent := 'start'; END IF;
      WHEN 'opt_in' THEN
        -- DO UPDATE (not DO NOTHING) so that the existing row comes back, also when another
        -- transaction inserted it concurrently.
        INSERT INTO contacts (company_id, domain_id, number)
        SELECT p_company, g.domain_id, p_source FROM groups g
        WHERE g.id = p_group AND g.company_id = p_company
        ON CONFLICT (domain_id, number) DO UPDATE SET updated_at = now()
        RETURNING id INTO contact;
        IF contact IS NOT NULL THEN  -- else the group is gone
          INSERT INTO group_contacts (group_id, contact_id) VALUES (p_group, contact)
          ON CONFLICT DO NOTHING;
          added := FOUND;
          -- An explicit opt-in is fresh consent.
          DELETE FROM suppressions
          WHERE company_id = p_company AND number_key = number_key(p_source);
          lifted := FOUND;
          changed := added OR lifted;
          IF changed THEN consent := 'opt_in'; END IF;
        END IF;
      WHEN 'opt_out' THEN
        WITH removed AS (
          DELETE FROM group_contacts gc USING contacts ct
          WHERE gc.group_id = p_group AND gc.contact_id = ct.id AND ct.company_id = p_company
            AND ct.number = p_source
          RETURNING ct.id)
        SELECT min(id) INTO contact FROM removed;
        changed := contact IS NOT NULL;
        IF changed THEN consent := 'opt_out'; END IF;
      WHEN 'keyword_help', 'company_help' THEN
        -- An auditor texting HELP twice must hear twice; a redelivered HELP costs one SMS.
        bypass := true;
        changed := true;
      ELSE
        NULL;  -- unmatched
    END CASE;
    IF consent IN ('stop', 'start') THEN  -- company-wide: no keyword, group or contact
      INSERT INTO consent_audit (company_id, number, action, inbound_id, text)
      VALUES (p_company, p_source, consent, inbound_id, p_text);
    ELSIF consent IS NOT NULL THEN
      INSERT INTO consent_audit (company_id, number, action, contact_id, group_id, keyword_id,
                                 inbound_id, text)
      VALUES (p_company, p_source, consent, contact, p_group, p_keyword, inbound_id, p_text);
    END IF;
  END IF;

  -- The effects are applied whatever `seen` says (each is idempotent): a repeat that still
  -- changed something is no redelivery but a person's new intent, and is answered.
  IF seen AND NOT changed THEN
    redelivered := true;
    UPDATE inbound_log SET decision = 'redelivered' WHERE id = inbound_id;
    RETURN;
  END IF;
  IF p_company IS NULL OR reply = '' THEN RETURN; END IF;
  -- Replies leave from the number the MO was sent to (as the SMSC addressed it).
  INSERT INTO outbox (company_id, kind, inbound_id, source, destination, text, bind,
                      bypass_suppression, status, claimed_by, claimed_at, attempts)
  SELECT p_company, 'reply', apply_mo.inbound_id, p_destination, p_source, reply, p_reply_bind,
         bypass, 'submitting', p_claimed_by, now(), 1
  WHERE bypass OR NOT EXISTS (SELECT 1 FROM suppressions
                              WHERE company_id = p_company AND number_key = number_key(p_source))
  RETURNING id, claimed_at::text INTO reply_id, reply_claimed_at;
END
$$;
