-- The checks of a group's members by type and company (the statement triggers on
-- group_contacts and group_users, migration 002).
--
-- Each new member is checked by its keys, one index lookup per row: PL/pgSQL keeps a
-- trigger's plan for the session, and a join planned while the contacts table was small
-- (a hash join over a sequential scan) stayed in use as the table grew, which cost every MO
-- batch's membership insert a scan of all contacts (1.3 ms a batch at 20,000 contacts in
-- bench/inbound_bench.sh). A subquery by primary key costs the same at any table size.

CREATE OR REPLACE FUNCTION group_contacts_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n
             WHERE (SELECT g.type FROM groups g WHERE g.id = n.group_id) = 'users_only') THEN
    RAISE EXCEPTION 'a users-only group cannot hold contacts' USING ERRCODE = 'SG001';
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows n
             WHERE (SELECT c.company_id FROM contacts c WHERE c.id = n.contact_id)
                <> (SELECT g.company_id FROM groups g WHERE g.id = n.group_id)) THEN
    RAISE EXCEPTION 'a group cannot hold a contact of another company' USING ERRCODE = 'SG002';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION group_users_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n
             WHERE (SELECT g.type FROM groups g WHERE g.id = n.group_id) = 'contacts_only') THEN
    RAISE EXCEPTION 'a contacts-only group cannot hold users' USING ERRCODE = 'SG001';
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows n
             WHERE (SELECT u.company_id FROM users u WHERE u.id = n.user_id)
                <> (SELECT g.company_id FROM groups g WHERE g.id = n.group_id)) THEN
    RAISE EXCEPTION 'a group cannot hold a user of another company' USING ERRCODE = 'SG002';
  END IF;
  RETURN NULL;
END
$$;
