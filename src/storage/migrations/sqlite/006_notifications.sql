-- Notifications: each user's in-app inbox, and the outbound webhooks (an SMS or WeChat gateway)
-- with a delivery queue. Both are written in the same transaction as the change they report, so
-- a committed change is never silent and a rolled-back one never announced.

CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  at          INTEGER NOT NULL,
  kind        TEXT   NOT NULL,                  -- case.assigned, case.escalated, case.overdue …
  case_id     INTEGER REFERENCES cases(id),
  title       TEXT   NOT NULL,
  body        TEXT   NOT NULL DEFAULT '',
  read_at     INTEGER
);
-- The inbox, newest first, and its unread part.
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id, id) WHERE read_at IS NULL;

CREATE TABLE webhooks (
  id          INTEGER PRIMARY KEY,
  name        TEXT   NOT NULL,
  url         TEXT   NOT NULL,
  kinds       TEXT   NOT NULL,                  -- space-separated event kinds, or '*'
  secret_enc  TEXT   NOT NULL,                  -- the signing secret, sealed with the key file
  created_at  INTEGER NOT NULL,
  created_by  INTEGER NOT NULL,
  removed_at  INTEGER
);

CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  webhook_id      INTEGER NOT NULL REFERENCES webhooks(id),
  kind            TEXT   NOT NULL,
  payload         TEXT   NOT NULL,              -- the JSON body, as signed
  state           TEXT   NOT NULL,              -- pending, delivered, dead
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,                       -- NULL once delivered or dead
  last_error      TEXT   NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  delivered_at    INTEGER
);
-- The sender's queue: only what is waiting, by when it is due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
