-- The first schema: tenancy, access, contacts and groups, keywords, the inbound path and
-- the outbox. Every row belongs to one company; no query crosses companies.

CREATE TABLE companies (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  contact_key   text NOT NULL DEFAULT 'number'
                CHECK (contact_key IN ('number', 'name', 'email', 'alias', 'publicid', 'systemid')),
  stop_words    text[] NOT NULL DEFAULT '{STOP,CANCEL,QUIT,UNSUBSCRIBE,END}',
  start_words   text[] NOT NULL DEFAULT '{START,UNSTOP}',
  stop_matching text NOT NULL DEFAULT 'first_word'
                CHECK (stop_matching IN ('first_word', 'whole_message')),
  stop_reply    text NOT NULL DEFAULT
    'You are unsubscribed and will receive no more messages from us. Reply START to resubscribe.',
  start_reply   text NOT NULL DEFAULT 'You are subscribed again. Reply STOP to unsubscribe.',
  help_reply    text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  company_id    bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  username      text NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 100),
  name          text NOT NULL DEFAULT '',
  number        text,
  role          text NOT NULL CHECK (role IN ('company_admin', 'group_admin', 'user')),
  password_hash text NOT NULL DEFAULT '',  -- Argon2id (libsodium crypto_pwhash_str)
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_company ON users (company_id);

CREATE TABLE domains (
  id              bigserial PRIMARY KEY,
  company_id      bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind            text NOT NULL CHECK (kind IN ('shared', 'personal', 'user', 'custom')),
  owner_id        bigint REFERENCES users ON DELETE CASCADE,
  properties      text[] NOT NULL DEFAULT '{}',
  visible_columns text[] NOT NULL DEFAULT '{}',
  created_by      bigint REFERENCES users ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (company_id, name),
  CHECK ((kind = 'personal') = (owner_id IS NOT NULL))
);
CREATE UNIQUE INDEX domains_one_shared ON domains (company_id) WHERE kind = 'shared';
CREATE UNIQUE INDEX domains_one_user ON domains (company_id) WHERE kind = 'user';
CREATE UNIQUE INDEX domains_one_personal ON domains (owner_id) WHERE kind = 'personal';

CREATE TABLE groups (
  id         bigserial PRIMARY KEY,
  company_id bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  domain_id  bigint NOT NULL REFERENCES domains,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  alias      text,
  public_id  text,
  type       text NOT NULL DEFAULT 'contacts_only'
             CHECK (type IN ('contacts_only', 'users_only', 'users_and_contacts')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (company_id, alias),
  UNIQUE (company_id, public_id)
);
CREATE INDEX groups_domain ON groups (domain_id);

-- Access of users and of groups of users to domains (PRODUCT.md §2).
CREATE TABLE grants (
  id               bigserial PRIMARY KEY,
  company_id       bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  domain_id        bigint NOT NULL REFERENCES domains ON DELETE CASCADE,
  grantee_user_id  bigint REFERENCES users ON DELETE CASCADE,
  grantee_group_id bigint REFERENCES groups ON DELETE CASCADE,
  level            text NOT NULL CHECK (level IN ('viewer', 'editor', 'none')),
  granted_by       bigint REFERENCES users ON DELETE SET NULL,
  granted_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((grantee_user_id IS NULL) <> (grantee_group_id IS NULL)),
  UNIQUE (domain_id, grantee_user_id),
  UNIQUE (domain_id, grantee_group_id)
);

CREATE TABLE contacts (
  id         bigserial PRIMARY KEY,
  company_id bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  domain_id  bigint NOT NULL REFERENCES domains,
  name       text NOT NULL DEFAULT '' CHECK (length(name) < 70),
  number     text NOT NULL CHECK (number ~ '^\+?[0-9]{3,20}$'),  -- E.164, or a short code
  alias      text CHECK (alias ~ '^[A-Za-z0-9._-]{1,63}$'),
  email      text CHECK (length(email) <= 254),
  public_id  text,
  tags       jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (domain_id, number),  -- one contact per number and domain: opt-ins are idempotent
  UNIQUE (company_id, public_id)
);
CREATE INDEX contacts_company_number ON contacts (company_id, number);

-- Memberships, one table per member type so that every reference is a foreign key.
CREATE TABLE group_contacts (
  group_id   bigint NOT NULL REFERENCES groups ON DELETE CASCADE,
  contact_id bigint NOT NULL REFERENCES contacts ON DELETE CASCADE,
  added_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX group_contacts_contact ON group_contacts (contact_id);

CREATE TABLE group_users (
  group_id bigint NOT NULL REFERENCES groups ON DELETE CASCADE,
  user_id  bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_users_user ON group_users (user_id);

CREATE TABLE group_groups (
  parent_id bigint NOT NULL REFERENCES groups ON DELETE CASCADE,
  child_id  bigint NOT NULL REFERENCES groups ON DELETE CASCADE,
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (parent_id, child_id),
  CHECK (parent_id <> child_id)
);
CREATE INDEX group_groups_child ON group_groups (child_id);

-- Virtual numbers and short codes; a number routes to exactly one company.
CREATE TABLE numbers (
  id            bigserial PRIMARY KEY,
  company_id    bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  number        text NOT NULL UNIQUE CHECK (number ~ '^\+?[0-9]{3,20}$'),
  kind          text NOT NULL CHECK (kind IN ('short_code', 'virtual')),
  bind          text,  -- the SMSC bind that sends from it; NULL: any bind
  default_reply text NOT NULL DEFAULT '',
  help_reply    text NOT NULL DEFAULT '',  -- overrides the company's help reply
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE keywords (
  id             bigserial PRIMARY KEY,
  company_id     bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  number_id      bigint NOT NULL REFERENCES numbers ON DELETE CASCADE,
  keyword        text NOT NULL CHECK (keyword <> ''),
  group_id       bigint NOT NULL REFERENCES groups ON DELETE CASCADE,
  optin_message  text NOT NULL DEFAULT '',
  optout_message text NOT NULL DEFAULT '',
  help_message   text NOT NULL DEFAULT '',
  tail           text NOT NULL DEFAULT 'unmatched' CHECK (tail IN ('unmatched', 'ignore')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (number_id, keyword)
);

-- The company stop list: no company message reaches these numbers.
CREATE TABLE suppressions (
  company_id bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  number     text NOT NULL,
  source     text NOT NULL CHECK (source IN ('sms', 'api', 'import')),
  created_by bigint REFERENCES users ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (company_id, number)
);

-- Every MO with the decision taken on it.
CREATE TABLE inbound_log (
  id          bigserial PRIMARY KEY,
  company_id  bigint REFERENCES companies ON DELETE CASCADE,  -- NULL: unknown destination
  bind        text NOT NULL,
  source      text NOT NULL,
  destination text NOT NULL,
  text        text NOT NULL,
  data_coding smallint NOT NULL,
  decision    text NOT NULL,
  keyword_id  bigint REFERENCES keywords ON DELETE SET NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbound_log_company_time ON inbound_log (company_id, received_at);
CREATE INDEX inbound_log_source ON inbound_log (source);

-- Consent changes: who, when, which number, keyword and text.
CREATE TABLE consent_audit (
  id            bigserial PRIMARY KEY,
  company_id    bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  number        text NOT NULL,
  action        text NOT NULL CHECK (action IN ('opt_in', 'opt_out', 'stop', 'start')),
  contact_id    bigint REFERENCES contacts ON DELETE SET NULL,
  group_id      bigint REFERENCES groups ON DELETE SET NULL,
  keyword_id    bigint REFERENCES keywords ON DELETE SET NULL,
  inbound_id    bigint REFERENCES inbound_log ON DELETE SET NULL,
  text          text NOT NULL DEFAULT '',
  actor_user_id bigint REFERENCES users ON DELETE SET NULL,  -- NULL: the contact, by SMS
  at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_audit_number ON consent_audit (company_id, number, at);

-- Messages to send. Claimed with FOR UPDATE SKIP LOCKED so several daemons can share it.
CREATE TABLE outbox (
  id                 bigserial PRIMARY KEY,
  company_id         bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  kind               text NOT NULL CHECK (kind IN ('reply', 'send')),
  inbound_id         bigint REFERENCES inbound_log ON DELETE SET NULL,
  source             text NOT NULL,
  destination        text NOT NULL,
  text               text NOT NULL,
  bind               text,  -- NULL: any bind
  bypass_suppression boolean NOT NULL DEFAULT false,  -- only the stop confirmation
  status             text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'submitting', 'submitted', 'delivered',
                                       'failed', 'suppressed')),
  attempts           integer NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  claimed_by         text,
  claimed_at         timestamptz,
  smsc_message_id    text,
  smsc_status        bigint,
  error              text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE status IN ('queued', 'submitting');
CREATE INDEX outbox_recent ON outbox (destination, created_at);
CREATE INDEX outbox_smsc_id ON outbox (smsc_message_id) WHERE smsc_message_id IS NOT NULL;

-- Changes that matter (grants, memberships, suppressions, merges): who and when.
CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  company_id    bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
  actor_user_id bigint REFERENCES users ON DELETE SET NULL,
  action        text NOT NULL,
  object        text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}',
  at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_company_time ON audit_log (company_id, at);
