-- Resident requests and grid events (诉求 / 网格事件). A case's history is its events; the cases
-- row is the current projection, written in the same transaction as each event.

-- The category tree (group → category). The whole definition (levels, deadlines, department,
-- Open311 attributes) is one JSON document checked by domain::ValidateCategory.
CREATE TABLE case_categories (
  code        TEXT    PRIMARY KEY,
  group_code  TEXT,                      -- NULL for a group
  name        TEXT    NOT NULL,
  position    INTEGER NOT NULL,          -- display order
  definition  TEXT    NOT NULL,
  retired_at  INTEGER,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE cases (
  id                  INTEGER PRIMARY KEY,
  tracking_code       TEXT    NOT NULL UNIQUE,   -- what the resident follows and rates the case by
  node_id             INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path           TEXT    NOT NULL,
  category_code       TEXT    NOT NULL REFERENCES case_categories(code),
  channel             TEXT    NOT NULL,
  priority            TEXT    NOT NULL,
  state               TEXT    NOT NULL,
  level               TEXT    NOT NULL,          -- the step of the chain handling it now
  description         TEXT    NOT NULL,
  address             TEXT    NOT NULL DEFAULT '',  -- where the problem is (not the reporter's home)
  lon                 REAL,
  lat                 REAL,
  building_id         INTEGER REFERENCES buildings(id),
  placed              INTEGER NOT NULL DEFAULT 1, -- 0: no point or building yet; a grid worker places it
  attributes          TEXT,                       -- JSON object of the category's attributes
  reporter_name_enc   TEXT,
  reporter_phone_enc  TEXT,
  reporter_id         INTEGER REFERENCES users(id),  -- the staff member who entered it
  source_key          TEXT,                       -- idempotency key of the submitting client
  assignee_id         INTEGER REFERENCES users(id),
  department          TEXT,
  supervised          INTEGER NOT NULL DEFAULT 0,
  reopen_count        INTEGER NOT NULL DEFAULT 0,
  overdue             INTEGER NOT NULL DEFAULT 0, -- 1: response deadline missed, 2: resolution, 3: both
  response_due_at     INTEGER NOT NULL,
  resolve_due_at      INTEGER NOT NULL,
  next_due_at         INTEGER,                    -- the next deadline to watch; NULL when none
  responded_at        INTEGER,
  resolved_at         INTEGER,
  solved_level        TEXT,
  closed_at           INTEGER,                    -- also set when rejected: the case is finished
  reject_reason       TEXT,
  merged_into         INTEGER REFERENCES cases(id),
  rating              INTEGER,
  rating_comment      TEXT,
  rated_at            INTEGER,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  version             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_path ON cases(node_path, id);
-- A worker's open tasks.
CREATE INDEX cases_assignee ON cases(assignee_id, id) WHERE closed_at IS NULL;
-- The deadline scheduler: the next deadline of every watched case, nothing else.
CREATE INDEX cases_due ON cases(next_due_at) WHERE next_due_at IS NOT NULL;
CREATE UNIQUE INDEX cases_source ON cases(source_key) WHERE source_key IS NOT NULL;

CREATE TABLE case_events (
  id          INTEGER PRIMARY KEY,
  case_id     INTEGER NOT NULL REFERENCES cases(id),
  at          INTEGER NOT NULL,
  actor_kind  TEXT    NOT NULL,                   -- staff, resident, system, api_key
  actor_id    INTEGER,                            -- the user or API key
  action      TEXT    NOT NULL,
  from_state  TEXT,
  to_state    TEXT    NOT NULL,
  from_level  TEXT,
  to_level    TEXT    NOT NULL,
  note        TEXT    NOT NULL DEFAULT '',
  detail      TEXT                                -- JSON: assignee, department, reason …
);
CREATE INDEX case_events_case ON case_events(case_id, id);
