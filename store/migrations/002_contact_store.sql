-- The contact store (PRODUCT.md §1-4): effective access in one function, system ids, search
-- terms, membership rules enforced on every path, send expansion and the messages it makes.
--
-- Every reader of contacts and groups (lists, search, single reads, member lists, send
-- expansion, export) filters through visible_domains(user), which is effective_access(user):
-- the four rules of PRODUCT.md §2 live here and nowhere else.

-- Access levels are ordered none < viewer < editor.
CREATE FUNCTION access_rank(p_level text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_level WHEN 'editor' THEN 2 WHEN 'viewer' THEN 1 ELSE 0 END
$$;

-- The level of user p_user on every domain of the user's company, first rule that applies:
--   1. personal domain: its owner editor, everybody else none (admins too, whatever the grants);
--   2. an explicit grant to the user (none included);
--   3. the highest grant to a group containing the user, directly or through nested groups
--      (groups of the User domain only; a group's `none` counts: it is the group's level);
--   4. the default: Shared editor; custom and User domains editor for company and group
--      admins, none for users.
-- is_default is false only for rule 2 (the manual's "(Default)" covers groups and roles);
-- source is 'owner', 'explicit', 'group:ID' (the lowest id among the best groups), 'shared'
-- or 'role'.
CREATE FUNCTION effective_access(p_user bigint)
RETURNS TABLE (domain_id bigint, level text, is_default boolean, source text)
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE
  me AS (SELECT u.id, u.company_id, u.role FROM users u WHERE u.id = p_user),
  -- Only groups of the User domain carry grants, and only through User-domain groups: a
  -- user who may edit some Shared group must not gain a grant by joining it when it is
  -- nested in, say, Marketing (User-domain groups are edited by admins).
  user_groups AS (
    SELECT g.id FROM groups g JOIN domains d ON d.id = g.domain_id
    WHERE d.kind = 'user' AND d.company_id = (SELECT company_id FROM me)
  ),
  member_of (group_id) AS (
    SELECT gu.group_id FROM group_users gu
    WHERE gu.user_id = p_user AND gu.group_id IN (SELECT id FROM user_groups)
    UNION  -- not UNION ALL: a cycle that slipped in would otherwise never end
    SELECT gg.parent_id FROM group_groups gg JOIN member_of m ON gg.child_id = m.group_id
    WHERE gg.parent_id IN (SELECT id FROM user_groups)
  ),
  group_level AS (
    SELECT DISTINCT ON (g.domain_id) g.domain_id, g.level, g.grantee_group_id
    FROM grants g JOIN member_of m ON m.group_id = g.grantee_group_id
    ORDER BY g.domain_id, access_rank(g.level) DESC, g.grantee_group_id
  )
  SELECT d.id,
         CASE WHEN d.kind = 'personal' THEN
                CASE WHEN d.owner_id = me.id THEN 'editor' ELSE 'none' END
              WHEN ug.level IS NOT NULL THEN ug.level
              WHEN gl.level IS NOT NULL THEN gl.level
              WHEN d.kind = 'shared' THEN 'editor'
              WHEN me.role IN ('company_admin', 'group_admin') THEN 'editor'
              ELSE 'none' END,
         d.kind = 'personal' OR ug.level IS NULL,
         CASE WHEN d.kind = 'personal' THEN 'owner'
              WHEN ug.level IS NOT NULL THEN 'explicit'
              WHEN gl.level IS NOT NULL THEN 'group:' || gl.grantee_group_id::text
              WHEN d.kind = 'shared' THEN 'shared'
              ELSE 'role' END
  FROM me
  JOIN domains d ON d.company_id = me.company_id
  LEFT JOIN grants ug ON ug.domain_id = d.id AND ug.grantee_user_id = me.id
  LEFT JOIN group_level gl ON gl.domain_id = d.id
$$;

-- The domains whose contacts and groups p_user may see (viewer or editor).
CREATE FUNCTION visible_domains(p_user bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
  SELECT a.domain_id FROM effective_access(p_user) a WHERE a.level <> 'none'
$$;

-- The domains whose contacts and groups p_user may change.
CREATE FUNCTION editable_domains(p_user bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
  SELECT a.domain_id FROM effective_access(p_user) a WHERE a.level = 'editor'
$$;

-- System ids (read-only, assigned): C#<id> for contacts, G#<id> for groups.
ALTER TABLE contacts ADD COLUMN system_id text GENERATED ALWAYS AS ('C#' || id::text) STORED;
ALTER TABLE groups ADD COLUMN system_id text GENERATED ALWAYS AS ('G#' || id::text) STORED;

CREATE INDEX contacts_domain ON contacts (domain_id, id);
CREATE INDEX grants_group ON grants (grantee_group_id) WHERE grantee_group_id IS NOT NULL;
CREATE INDEX grants_user ON grants (grantee_user_id) WHERE grantee_user_id IS NOT NULL;
CREATE INDEX groups_company_name ON groups (company_id, lower(name) text_pattern_ops);
CREATE INDEX groups_company_alias ON groups (company_id, lower(alias) text_pattern_ops)
  WHERE alias IS NOT NULL;

-- E.164 (with +) for a stored number, or NULL when it is not one. Contacts that opted in by
-- SMS carry the number as the SMSC gave it, sometimes without the +.
CREATE FUNCTION e164_or_null(p_number text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_number ~ '^\+[1-9][0-9]{6,14}$' THEN p_number
              WHEN p_number ~ '^[1-9][0-9]{6,14}$' THEN '+' || p_number
         END
$$;

------------------------------------------------------------------------------------------
-- Search (the recipient autocompleter): one row per (contact, term), where the terms are
-- the name, alias and tag values from each word on ("Donald J Trump": "donald j trump",
-- "j trump", "trump"), lower-cased with punctuation folded to spaces, and the number's
-- digits. A prefix query is then an index range scan on (domain_id, term), one per domain
-- the user can see. Kept by statement-level triggers, so every writer (API, import, opt-in
-- by SMS) keeps it right.

-- The words of a text, lower-cased; anything but letters and digits separates words. ICU
-- decides what a letter is and how it folds, not the cluster's locale (under LC_CTYPE=C,
-- "Ülla" would lose its Ü).
CREATE FUNCTION search_words(p text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_remove(
           regexp_split_to_array(lower(p COLLATE "und-x-icu"), '[^[:alnum:]]+'), ''), '{}')
$$;

-- The terms of a text: the text from each of its first 8 words on, at most 64 characters
-- (a long tag value must not make an index entry too large).
CREATE FUNCTION search_terms(p text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT left(array_to_string(s.w[i:], ' '), 64)
  FROM (SELECT search_words(p) AS w) s, generate_series(1, least(cardinality(s.w), 8)) i
$$;

-- A query as a term prefix: digits only when it looks like a phone number ("+61 4", "0412"),
-- else its words joined by single spaces; at most 64 characters, as the terms.
CREATE FUNCTION search_key(p text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p ~ '^[-[:space:]+0-9().]*[0-9][-[:space:]+0-9().]*$'
              THEN left(regexp_replace(p, '[^0-9]', '', 'g'), 64)
              ELSE left(array_to_string(search_words(p), ' '), 64) END
$$;

-- Every search term of one contact.
CREATE FUNCTION contact_search_terms(p_name text, p_alias text, p_number text, p_tags jsonb)
RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT DISTINCT t FROM (
    SELECT search_terms(p_name) AS t
    UNION ALL SELECT search_terms(p_alias)
    UNION ALL SELECT regexp_replace(p_number, '[^0-9]', '', 'g')
    UNION ALL SELECT search_terms(e.value) FROM jsonb_each_text(p_tags) e
  ) s
  WHERE t <> ''
$$;

-- No foreign key: checking one per term row would double the cost of a bulk load; the
-- triggers below delete a contact's terms with it.
CREATE TABLE contact_terms (
  domain_id  bigint NOT NULL,
  term       text COLLATE "C" NOT NULL,
  contact_id bigint NOT NULL
);
CREATE INDEX contact_terms_search ON contact_terms (domain_id, term, contact_id);
CREATE INDEX contact_terms_contact ON contact_terms (contact_id);

CREATE FUNCTION contact_terms_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO contact_terms (domain_id, term, contact_id)
  SELECT n.domain_id, t, n.id
  FROM new_rows n, contact_search_terms(n.name, n.alias, n.number, n.tags) t;
  RETURN NULL;
END
$$;

CREATE FUNCTION contact_terms_after_update() RETURNS trigger
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
  FROM changed c, contact_search_terms(c.name, c.alias, c.number, c.tags) t;
  RETURN NULL;
END
$$;

CREATE FUNCTION contact_terms_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_terms t USING old_rows o WHERE t.contact_id = o.id;
  RETURN NULL;
END
$$;

-- Contacts that exist before this migration (opt-ins by SMS) are searchable too.
INSERT INTO contact_terms (domain_id, term, contact_id)
SELECT c.domain_id, t, c.id FROM contacts c, contact_search_terms(c.name, c.alias, c.number, c.tags) t;

CREATE TRIGGER contacts_terms_insert AFTER INSERT ON contacts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION contact_terms_after_insert();
CREATE TRIGGER contacts_terms_update AFTER UPDATE ON contacts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION contact_terms_after_update();
CREATE TRIGGER contacts_terms_delete AFTER DELETE ON contacts
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION contact_terms_after_delete();

-- The first p_limit contacts visible to p_user with a term starting with the query's key,
-- ordered by their first matching term, then id. Each visible domain is an index range
-- scan limited to per_domain rows; the answer is exact once every domain that hit the limit
-- gave at least p_limit distinct contacts (a contact can match twice: "ann anderson"), and
-- the scan is repeated with a larger limit otherwise.
CREATE FUNCTION search_contacts(p_user bigint, p_query text, p_limit integer)
RETURNS TABLE (contact_id bigint, matched text, ord bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  k text COLLATE "C" := search_key(p_query);
  hi text COLLATE "C";
  per_domain integer := greatest(p_limit, 1);
  domains bigint[];
  exact boolean;
  ids bigint[];
  terms text[];
BEGIN
  IF k = '' OR p_limit <= 0 THEN
    RETURN;
  END IF;
  hi := k || chr(1114111);  -- above every string that starts with k, in byte order
  domains := ARRAY(SELECT visible_domains(p_user));
  LOOP
    WITH cand AS (
      SELECT d AS domain_id, x.contact_id, x.term
      FROM unnest(domains) d
      CROSS JOIN LATERAL (
        SELECT t.contact_id, t.term FROM contact_terms t
        WHERE t.domain_id = d AND t.term >= k AND t.term < hi
        ORDER BY t.term, t.contact_id
        LIMIT per_domain) x
    ),
    per AS (
      SELECT c.domain_id, count(*) AS n, count(DISTINCT c.contact_id) AS nd
      FROM cand c GROUP BY c.domain_id
    ),
    best AS (
      SELECT c.contact_id, min(c.term) AS term FROM cand c GROUP BY c.contact_id
      ORDER BY 2, 1 LIMIT p_limit
    )
    SELECT (SELECT bool_and(p.n < per_domain OR p.nd >= p_limit) FROM per p),
           (SELECT array_agg(b.contact_id ORDER BY b.term, b.contact_id) FROM best b),
           (SELECT array_agg(b.term ORDER BY b.term, b.contact_id) FROM best b)
    INTO exact, ids, terms;
    EXIT WHEN exact IS NOT FALSE;
    per_domain := per_domain * 4;
  END LOOP;
  RETURN QUERY SELECT u.id, u.term, u.ord FROM unnest(ids, terms) WITH ORDINALITY u(id, term, ord);
END
$$;

------------------------------------------------------------------------------------------
-- Membership rules, checked on every path that writes memberships (API, import, opt-in):
-- the group's type, one company, and no nesting cycle.

-- Whether a group of type p_parent may contain a group of type p_child: only when every
-- kind of member the child may hold is one the parent may hold.
CREATE FUNCTION group_type_accepts(p_parent text, p_child text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_parent = 'users_and_contacts' OR p_parent = p_child
$$;

-- Whether p_to is p_from or one of its nested groups, at any depth.
CREATE FUNCTION group_reaches(p_from bigint, p_to bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE down (id) AS (
    SELECT p_from
    UNION
    SELECT gg.child_id FROM group_groups gg JOIN down d ON gg.parent_id = d.id
  )
  SELECT EXISTS (SELECT 1 FROM down WHERE id = p_to)
$$;

-- Serialises nesting changes of one company, so two concurrent edges (A in B, B in A) cannot
-- both pass the cycle check. Taken before the check; the check then runs on a snapshot
-- newer than any committed edge (READ COMMITTED, the store's isolation).
CREATE FUNCTION lock_group_nesting(p_company bigint) RETURNS void
LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock(1735357000, (p_company % 2147483647)::integer)
$$;

CREATE FUNCTION group_contacts_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n JOIN groups g ON g.id = n.group_id
             WHERE g.type = 'users_only') THEN
    RAISE EXCEPTION 'a users-only group cannot hold contacts' USING ERRCODE = 'SG001';
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows n JOIN groups g ON g.id = n.group_id
             JOIN contacts c ON c.id = n.contact_id WHERE c.company_id <> g.company_id) THEN
    RAISE EXCEPTION 'a group cannot hold a contact of another company' USING ERRCODE = 'SG002';
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION group_users_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n JOIN groups g ON g.id = n.group_id
             WHERE g.type = 'contacts_only') THEN
    RAISE EXCEPTION 'a contacts-only group cannot hold users' USING ERRCODE = 'SG001';
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows n JOIN groups g ON g.id = n.group_id
             JOIN users u ON u.id = n.user_id WHERE u.company_id <> g.company_id) THEN
    RAISE EXCEPTION 'a group cannot hold a user of another company' USING ERRCODE = 'SG002';
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION group_groups_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  company bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n JOIN groups p ON p.id = n.parent_id
             JOIN groups c ON c.id = n.child_id WHERE p.company_id <> c.company_id) THEN
    RAISE EXCEPTION 'a group cannot hold a group of another company' USING ERRCODE = 'SG002';
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows n JOIN groups p ON p.id = n.parent_id
             JOIN groups c ON c.id = n.child_id WHERE NOT group_type_accepts(p.type, c.type)) THEN
    RAISE EXCEPTION 'the nested group''s type does not fit the group''s type'
      USING ERRCODE = 'SG001';
  END IF;
  FOR company IN SELECT DISTINCT g.company_id FROM new_rows n JOIN groups g ON g.id = n.parent_id
                 ORDER BY 1 LOOP
    PERFORM lock_group_nesting(company);
  END LOOP;
  IF EXISTS (SELECT 1 FROM new_rows n WHERE group_reaches(n.child_id, n.parent_id)) THEN
    RAISE EXCEPTION 'the group would contain itself' USING ERRCODE = 'SG003';
  END IF;
  RETURN NULL;
END
$$;

-- A type change must fit the members the group has and the groups it is nested in, and a
-- keyword's group must keep accepting contacts (else every opt-in to it would fail, and
-- the SMSC would redeliver the MO for ever).
--
-- A membership insert locks its group FOR KEY SHARE (its foreign key), which the UPDATE's
-- own FOR NO KEY UPDATE does not conflict with: both could pass their checks and commit a
-- users-only group holding a contact. So a type change first takes FOR UPDATE, which waits
-- for memberships being written and holds off new ones until it commits; the checks below
-- then read what committed (READ COMMITTED: a new snapshot per statement), and a membership
-- that waited sees the new type in its own check. The hot path (opt-ins) pays nothing.
CREATE FUNCTION groups_type_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM groups g JOIN new_rows n ON n.id = g.id JOIN old_rows o ON o.id = n.id
  WHERE n.type <> o.type ORDER BY g.id FOR UPDATE OF g;
  IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE n.type <> o.type AND n.type = 'users_only'
               AND EXISTS (SELECT 1 FROM keywords k WHERE k.group_id = n.id)) THEN
    RAISE EXCEPTION 'a keyword adds contacts to this group' USING ERRCODE = 'SG001';
  END IF;
  IF EXISTS (
    SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.type <> o.type AND (
         (n.type = 'users_only' AND EXISTS (SELECT 1 FROM group_contacts gc WHERE gc.group_id = n.id))
      OR (n.type = 'contacts_only' AND EXISTS (SELECT 1 FROM group_users gu WHERE gu.group_id = n.id))
      OR EXISTS (SELECT 1 FROM group_groups gg JOIN groups p ON p.id = gg.parent_id
                 JOIN groups c ON c.id = gg.child_id
                 WHERE (gg.parent_id = n.id OR gg.child_id = n.id)
                   AND NOT group_type_accepts(p.type, c.type)))) THEN
    RAISE EXCEPTION 'the group has members or parents its new type does not allow'
      USING ERRCODE = 'SG001';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER group_contacts_rules AFTER INSERT ON group_contacts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_contacts_check();
CREATE TRIGGER group_users_rules AFTER INSERT ON group_users
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_users_check();
CREATE TRIGGER group_groups_rules AFTER INSERT ON group_groups
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_groups_check();
CREATE TRIGGER groups_type_rules AFTER UPDATE ON groups
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION groups_type_check();

------------------------------------------------------------------------------------------
-- Sending (PRODUCT.md §4).

-- A message a user sent, with how many recipients it was queued for and how many were
-- left out, and why.
CREATE TABLE messages (
  id          bigserial PRIMARY KEY,
  company_id  bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  user_id     bigint REFERENCES users ON DELETE SET NULL,
  source      text NOT NULL,
  text        text NOT NULL,
  bind        text,
  recipients  bigint NOT NULL DEFAULT 0,
  suppressed  bigint NOT NULL DEFAULT 0,
  not_visible bigint NOT NULL DEFAULT 0,
  invalid     bigint NOT NULL DEFAULT 0,
  duplicate   bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_company_time ON messages (company_id, created_at);

-- No foreign key: a send queues up to millions of rows at once, and checking one key per
-- row costs a third of the insert (measured in bench/). Messages are never deleted before
-- their rows. BRIN, not a B-tree: a message's rows are written together, so block ranges
-- find them, and a million inserted rows cost the index almost nothing (bench/).
ALTER TABLE outbox ADD COLUMN message_id bigint;
CREATE INDEX outbox_message ON outbox USING brin (message_id) WITH (autosummarize = on);

-- E.164 for a contact's stored number, which the contacts table's CHECK keeps to
-- `^\+?[0-9]{3,20}$`: the same answer as e164_or_null without a regular expression per row
-- (a send may read a million of them).
CREATE FUNCTION contact_e164(p_number text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN left(p_number, 1) = '+' THEN
                CASE WHEN length(p_number) BETWEEN 8 AND 16 AND substr(p_number, 2, 1) <> '0'
                     THEN p_number END
              WHEN length(p_number) BETWEEN 7 AND 15 AND left(p_number, 1) <> '0'
              THEN '+' || p_number
         END
$$;

-- The groups a send by p_user to p_groups reaches: each named group p_user can see, and its
-- nested groups, at any depth, as long as p_user can see them (a nested group is expanded
-- through the same filter). Small; computed first, so that send_entries gets the list as a
-- value and the planner sees how many members it holds.
CREATE FUNCTION send_groups(p_user bigint, p_groups bigint[]) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE
  vis AS (SELECT visible_domains(p_user) AS domain_id),
  tree (id) AS (
    SELECT g.id FROM groups g
    WHERE g.id = ANY (p_groups)
      AND g.company_id = (SELECT u.company_id FROM users u WHERE u.id = p_user)
      AND g.domain_id IN (SELECT domain_id FROM vis)
    UNION
    SELECT g.id FROM tree t
    JOIN group_groups gg ON gg.parent_id = t.id
    JOIN groups g ON g.id = gg.child_id
    WHERE g.domain_id IN (SELECT domain_id FROM vis)
  )
  SELECT id FROM tree
$$;

-- What a send by p_user expands to: one row per entry (each named or nested group that is
-- not in p_tree, i.e. that p_user cannot see; each distinct contact reached, directly or through
-- the groups of p_tree; each user member of those groups; each raw number), with its number
-- in E.164 (NULL: invalid) and whether p_user may see it. p_tree must be
-- send_groups(p_user, p_groups); p_numbers must already be E.164 or NULL (the caller
-- validates them with libphonenumber).
CREATE FUNCTION send_entries(p_user bigint, p_groups bigint[], p_tree bigint[],
                             p_contacts bigint[], p_numbers text[])
RETURNS TABLE (kind text, ref bigint, number text, visible boolean)
LANGUAGE sql STABLE AS $$
  WITH
  me AS (SELECT u.company_id FROM users u WHERE u.id = p_user),
  vis AS (SELECT visible_domains(p_user) AS domain_id),
  -- One group and no contact: its members are distinct already, and an equality lets the
  -- planner merge them with the contacts in id order. Otherwise deduplicated. (The arrays
  -- are constants once this function is inlined, so only one branch runs.)
  contact_refs AS (
    SELECT gc.contact_id AS id FROM group_contacts gc
    WHERE cardinality(p_tree) = 1 AND cardinality(p_contacts) = 0 AND gc.group_id = p_tree[1]
    UNION ALL
    SELECT DISTINCT x.id FROM (
      SELECT gc.contact_id AS id FROM group_contacts gc WHERE gc.group_id = ANY (p_tree)
      UNION ALL
      SELECT c FROM unnest(p_contacts) c) x
    WHERE NOT (cardinality(p_tree) = 1 AND cardinality(p_contacts) = 0)
  )
  -- Each group left out: named but hidden, or nested in a reached group but hidden (its own
  -- members are not counted: the sender may not know them).
  SELECT 'group', x.g, NULL::text, false FROM (
    SELECT g FROM unnest(p_groups) g
    UNION
    SELECT gg.child_id FROM group_groups gg WHERE gg.parent_id = ANY (p_tree)) x
  WHERE x.g <> ALL (p_tree)
  UNION ALL
  SELECT 'contact', r.id, contact_e164(c.number),
         coalesce(c.domain_id IN (SELECT domain_id FROM vis), false)
  FROM contact_refs r
  LEFT JOIN contacts c ON c.id = r.id AND c.company_id = (SELECT company_id FROM me)
  UNION ALL
  SELECT 'user', u.id, e164_or_null(u.number), true
  FROM users u
  WHERE u.id IN (SELECT gu.user_id FROM group_users gu WHERE gu.group_id = ANY (p_tree))
  UNION ALL
  SELECT 'number', NULL, e164_or_null(n), true FROM unnest(p_numbers) n
$$;

-- The company's stop list in E.164 (the inbound path stores numbers as the SMSC gave them,
-- with or without the +).
CREATE FUNCTION stop_numbers(p_company bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  SELECT DISTINCT e164_or_null(s.number) FROM suppressions s
  WHERE s.company_id = p_company AND e164_or_null(s.number) IS NOT NULL
$$;

-- The numbers a send reaches: distinct, visible, valid, and not on the company's stop list.
-- Arguments as send_entries.
CREATE FUNCTION send_recipients(p_user bigint, p_groups bigint[], p_tree bigint[],
                                p_contacts bigint[], p_numbers text[])
RETURNS TABLE (number text)
LANGUAGE sql STABLE AS $$
  SELECT DISTINCT e.number FROM send_entries(p_user, p_groups, p_tree, p_contacts, p_numbers) e
  WHERE e.visible AND e.number IS NOT NULL
    AND e.number NOT IN (
      SELECT stop_numbers(u.company_id) FROM users u WHERE u.id = p_user)
$$;
