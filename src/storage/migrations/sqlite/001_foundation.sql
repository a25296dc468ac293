-- Foundation: the org tree, accounts, roles, sessions, API keys, settings and the audit chain.
-- Times are UTC milliseconds since the epoch. Paths are materialised id paths such as '/1/7/42/'.

CREATE TABLE org_nodes (
  id          INTEGER PRIMARY KEY,
  parent_id   INTEGER REFERENCES org_nodes(id),
  type        TEXT    NOT NULL,
  code        TEXT    NOT NULL UNIQUE,
  name        TEXT    NOT NULL,
  path        TEXT    NOT NULL UNIQUE,
  archived    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX org_nodes_parent ON org_nodes(parent_id, name);

CREATE TABLE users (
  id                   INTEGER PRIMARY KEY,
  username             TEXT    NOT NULL UNIQUE,
  display_name         TEXT    NOT NULL,
  password_hash        TEXT    NOT NULL,
  home_node_id         INTEGER NOT NULL REFERENCES org_nodes(id),
  disabled             INTEGER NOT NULL DEFAULT 0,
  failed_logins        INTEGER NOT NULL DEFAULT 0,
  locked_until         INTEGER NOT NULL DEFAULT 0,
  password_changed_at  INTEGER NOT NULL,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX users_home ON users(home_node_id);

CREATE TABLE roles (
  name        TEXT PRIMARY KEY,
  title       TEXT NOT NULL,
  permissions TEXT NOT NULL,          -- space-separated, from the permission catalogue
  updated_at  INTEGER NOT NULL
);

CREATE TABLE role_assignments (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  role        TEXT    NOT NULL REFERENCES roles(name),
  node_id     INTEGER NOT NULL REFERENCES org_nodes(id),
  created_at  INTEGER NOT NULL,
  created_by  INTEGER NOT NULL,
  UNIQUE (user_id, role, node_id)
);
CREATE INDEX role_assignments_node ON role_assignments(node_id);

CREATE TABLE sessions (
  id            INTEGER PRIMARY KEY,
  token_hash    TEXT    NOT NULL UNIQUE,
  user_id       INTEGER NOT NULL REFERENCES users(id),
  csrf_token    TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  ip            TEXT    NOT NULL,
  user_agent    TEXT    NOT NULL,
  revoked_at    INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id, created_at);

CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY,
  key_hash     TEXT    NOT NULL UNIQUE,
  prefix       TEXT    NOT NULL,      -- the first characters, to recognise a key in lists
  name         TEXT    NOT NULL,
  user_id      INTEGER NOT NULL REFERENCES users(id),
  created_at   INTEGER NOT NULL,
  created_by   INTEGER NOT NULL,
  revoked_at   INTEGER,
  last_used_at INTEGER
);

CREATE TABLE settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

-- Append-only: the application never updates or deletes; triggers refuse it.
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor_id    INTEGER NOT NULL,
  actor_name  TEXT    NOT NULL,
  action      TEXT    NOT NULL,
  outcome     TEXT    NOT NULL,
  node_path   TEXT    NOT NULL,
  target      TEXT    NOT NULL,
  detail      TEXT    NOT NULL,
  ip          TEXT    NOT NULL,
  prev_hash   TEXT    NOT NULL,
  hash        TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_log_action ON audit_log(action, seq);
CREATE INDEX audit_log_path ON audit_log(node_path, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The head of the chain, one row; appends lock it so two writers cannot fork the chain.
CREATE TABLE audit_head (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  seq   INTEGER NOT NULL,
  hash  TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
