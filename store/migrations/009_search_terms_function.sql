-- A contact's search terms (002) computed by one PL/pgSQL function returning an array.
-- 002's version was a set-returning SQL function calling another one per text: PostgreSQL
-- plans a non-inlined SQL function anew in every statement that calls it, so each INSERT
-- of contacts paid 0.1-0.4 ms before its first row: most of the store's time for an
-- opt-in by SMS (one contact per statement). PL/pgSQL keeps its plans for the session, and
-- the loop below runs no query unless a contact has tags (computing the terms of 100,000
-- named contacts: 2.0 s before, 1.3 s now). The terms are the same, in no set order.
DROP FUNCTION contact_search_terms(text, text, text, jsonb);

CREATE FUNCTION contact_search_terms(p_name text, p_alias text, p_number text, p_tags jsonb)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  terms text[] := '{}';
  texts text[] := ARRAY[p_name, p_alias];
  source text;
  words text[];
  term text := regexp_replace(p_number, '[^0-9]', '', 'g');
BEGIN
  IF term <> '' THEN terms := ARRAY[term]; END IF;
  IF p_tags IS NOT NULL AND p_tags <> '{}' THEN
    texts := texts || ARRAY(SELECT e.value FROM jsonb_each_text(p_tags) e);
  END IF;
  FOREACH source IN ARRAY texts LOOP
    CONTINUE WHEN source IS NULL OR source = '';
    words := search_words(source);
    -- The text from each of its first 8 words on, as search_terms (002).
    FOR i IN 1 .. least(cardinality(words), 8) LOOP
      term := left(array_to_string(words[i:], ' '), 64);
      IF NOT term = ANY (terms) THEN terms := terms || term; END IF;
    END LOOP;
  END LOOP;
  RETURN terms;
END
$$;

CREATE OR REPLACE FUNCTION contact_terms_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO contact_terms (domain_id, term, contact_id)
  SELECT n.domain_id, t, n.id
  FROM new_rows n, unnest(contact_search_terms(n.name, n.alias, n.number, n.tags)) t;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION contact_terms_after_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- A move to another domain (one contact, or a whole domain merged) keeps the terms.
  UPDATE contact_terms t SET domain_id = n.domain_id
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE t.contact_id = n.id AND n.domain_id <> o.domain_id
    AND (n.name, n.alias, n.number, n.tags) IS NOT DISTINCT FROM (o.name, o.alias, o.number, o.tags);
  -- One statement: the DELETE sees only the terms from before it, never those inserted here.
  WITH changed AS (
    SELECT n.id, n.domain_id, n.name, n.alias, n.number, n.tags
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.name, n.alias, n.number, n.tags) IS DISTINCT FROM (o.name, o.alias, o.number, o.tags)
  ),
  gone AS (DELETE FROM contact_terms t USING changed c WHERE t.contact_id = c.id)
  INSERT INTO contact_terms (domain_id, term, contact_id)
  SELECT c.domain_id, t, c.id
  FROM changed c, unnest(contact_search_terms(c.name, c.alias, c.number, c.tags)) t;
  RETURN NULL;
END
$$;

-- search_terms (002) has no caller left; search_words and search_key remain.
DROP FUNCTION search_terms(text);
