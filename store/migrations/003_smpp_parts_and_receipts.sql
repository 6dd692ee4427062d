-- Parts of multipart MOs, stored before each is acknowledged so that a restart between
-- parts loses nothing; and the SMSC ids of every part of every submit, so that delivery
-- receipts (per part) update the message they report on.

CREATE TABLE inbound_parts (
  bind        text NOT NULL,
  source      text NOT NULL,
  destination text NOT NULL,
  reference   integer NOT NULL,
  total       smallint NOT NULL CHECK (total BETWEEN 2 AND 255),
  index       smallint NOT NULL CHECK (index BETWEEN 1 AND total),
  data_coding smallint NOT NULL,
  octets      bytea NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bind, source, destination, reference, total, index)
);
CREATE INDEX inbound_parts_age ON inbound_parts (received_at);

CREATE TABLE outbox_submits (
  outbox_id       bigint NOT NULL REFERENCES outbox ON DELETE CASCADE,
  part            smallint NOT NULL,
  smsc_message_id text NOT NULL,
  bind            text NOT NULL,
  submitted_at    timestamptz NOT NULL DEFAULT now(),
  receipt_state   text,
  receipt_error   text,
  receipt_at      timestamptz,
  PRIMARY KEY (outbox_id, part)
);
CREATE INDEX outbox_submits_smsc_id ON outbox_submits (smsc_message_id);
