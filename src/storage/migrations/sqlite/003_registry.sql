-- The population registry: boundaries, buildings, households, residents, staff rosters, visits
-- and sweeps. Every record carries node_path (the materialised path of the org node it hangs
-- from) so scoping is an index range, and org moves rewrite it (OrgRepo::Move).
-- Columns ending _enc hold "v1:" AEAD ciphertext; columns ending _index hold keyed blind indexes.

ALTER TABLE org_nodes ADD COLUMN boundary TEXT;           -- GeoJSON geometry, NULL until drawn
ALTER TABLE org_nodes ADD COLUMN centroid_lon REAL;
ALTER TABLE org_nodes ADD COLUMN centroid_lat REAL;

-- Structural changes of the tree (boundary, split, merge, move), kept as history.
CREATE TABLE org_changes (
  id         INTEGER PRIMARY KEY,
  node_id    INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path  TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  detail     TEXT    NOT NULL,
  actor_id   INTEGER NOT NULL,
  at         INTEGER NOT NULL
);
CREATE INDEX org_changes_node ON org_changes(node_id, id);

-- Rollups: a count per node covering its whole subtree, kept current in the same transaction.
CREATE TABLE node_counts (
  node_id  INTEGER NOT NULL,
  metric   TEXT    NOT NULL,
  value    INTEGER NOT NULL,
  PRIMARY KEY (node_id, metric)
) WITHOUT ROWID;

CREATE TABLE buildings (
  id          INTEGER PRIMARY KEY,
  node_id     INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path   TEXT    NOT NULL,
  code        TEXT    NOT NULL UNIQUE,     -- printed on the building's QR code
  name        TEXT    NOT NULL,            -- "3栋"
  address     TEXT    NOT NULL,            -- street address of the building (not personal)
  lon         REAL,
  lat         REAL,
  floors      INTEGER NOT NULL DEFAULT 0,
  units       INTEGER NOT NULL DEFAULT 0,
  archived    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX buildings_path ON buildings(node_path, id);

CREATE TABLE households (
  id             INTEGER PRIMARY KEY,
  node_id        INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path      TEXT    NOT NULL,
  building_id    INTEGER NOT NULL REFERENCES buildings(id),
  unit           TEXT    NOT NULL,         -- "2单元"; may be empty
  room_enc       TEXT    NOT NULL,         -- the room number: with the building, an exact address
  address_index  TEXT    NOT NULL,         -- blind index of (building, unit, room)
  head_id        INTEGER,
  members        INTEGER NOT NULL DEFAULT 0,
  status         TEXT    NOT NULL DEFAULT 'active',
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  version        INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX households_address ON households(address_index) WHERE status = 'active';
CREATE INDEX households_path ON households(node_path, id);
CREATE INDEX households_building ON households(building_id, id);

CREATE TABLE residents (
  id              INTEGER PRIMARY KEY,
  node_id         INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path       TEXT    NOT NULL,
  household_id    INTEGER REFERENCES households(id),
  relation        TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  gender          TEXT    NOT NULL,
  birth_date      TEXT    NOT NULL,        -- YYYY-MM-DD; age and the elderly/child tags follow
  id_enc          TEXT,
  id_index        TEXT,
  phone_enc       TEXT,
  phone_index     TEXT,
  ethnic          TEXT    NOT NULL,
  residence_type  TEXT    NOT NULL,
  occupation      TEXT    NOT NULL,
  tags            TEXT    NOT NULL,        -- public tags, space-separated
  sensitive_enc   TEXT,                    -- health and disability tags and level, encrypted
  status          TEXT    NOT NULL DEFAULT 'active',
  duplicate_of    INTEGER,                 -- flagged as a likely duplicate of this resident
  last_visited_at INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  version         INTEGER NOT NULL DEFAULT 1
);
-- The same ID number cannot be active twice.
CREATE UNIQUE INDEX residents_id_active ON residents(id_index) WHERE status = 'active';
CREATE INDEX residents_phone ON residents(phone_index);
CREATE INDEX residents_path ON residents(node_path, id);
-- No index on name or birth date: name search is a substring match and age filters run inside
-- one grid's or community's residents (residents_path); counts for whole regions come from rollups.
CREATE INDEX residents_household ON residents(household_id, id);

-- Tag membership for filtering: public tags in the clear, sensitive ones as keyed tokens.
CREATE TABLE resident_tags (
  tag          TEXT    NOT NULL,
  node_path    TEXT    NOT NULL,
  resident_id  INTEGER NOT NULL,
  PRIMARY KEY (tag, node_path, resident_id)
) WITHOUT ROWID;
CREATE INDEX resident_tags_resident ON resident_tags(resident_id);

-- 清底数、查动态: every change of a resident, as history.
CREATE TABLE resident_events (
  id           INTEGER PRIMARY KEY,
  resident_id  INTEGER NOT NULL REFERENCES residents(id),
  node_path    TEXT    NOT NULL,
  kind         TEXT    NOT NULL,
  at           INTEGER NOT NULL,
  actor_id     INTEGER NOT NULL,
  detail       TEXT    NOT NULL           -- which fields changed; never personal values
);
CREATE INDEX resident_events_resident ON resident_events(resident_id, id);

-- The grid team (网格班子): who holds which position where.
CREATE TABLE staff_positions (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id),
  node_id      INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path    TEXT    NOT NULL,
  position     TEXT    NOT NULL,
  building_id  INTEGER REFERENCES buildings(id),   -- for building heads
  since        INTEGER NOT NULL,
  ended_at     INTEGER,
  created_by   INTEGER NOT NULL
);
CREATE INDEX staff_positions_node ON staff_positions(node_id, position);
CREATE INDEX staff_positions_user ON staff_positions(user_id);
CREATE INDEX staff_positions_building ON staff_positions(building_id);

-- 扫楼清查: a campaign over a grid's households.
CREATE TABLE sweeps (
  id          INTEGER PRIMARY KEY,
  node_id     INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path   TEXT    NOT NULL,
  title       TEXT    NOT NULL,
  households  INTEGER NOT NULL,
  visited     INTEGER NOT NULL DEFAULT 0,
  due_at      INTEGER,
  closed_at   INTEGER,
  created_by  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX sweeps_path ON sweeps(node_path, id);

CREATE TABLE sweep_households (
  sweep_id      INTEGER NOT NULL REFERENCES sweeps(id),
  household_id  INTEGER NOT NULL REFERENCES households(id),
  node_path     TEXT    NOT NULL,
  visit_id      INTEGER,
  visitor_id    INTEGER,
  outcome       TEXT,
  PRIMARY KEY (sweep_id, household_id)
);

-- 入户走访: one visit to one household.
CREATE TABLE visits (
  id            INTEGER PRIMARY KEY,
  household_id  INTEGER NOT NULL REFERENCES households(id),
  node_path     TEXT    NOT NULL,
  sweep_id      INTEGER REFERENCES sweeps(id),
  visitor_id    INTEGER NOT NULL REFERENCES users(id),
  visited_at    INTEGER NOT NULL,
  outcome       TEXT    NOT NULL,
  changes_enc   TEXT,                      -- what changed, encrypted (may name personal facts)
  notes_enc     TEXT,
  created_at    INTEGER NOT NULL
);
CREATE INDEX visits_household ON visits(household_id, visited_at);
CREATE INDEX visits_path ON visits(node_path, id);
CREATE INDEX visits_visitor ON visits(visitor_id, visited_at);

-- Resumable imports: a large file committed in chunks remembers how far it got.
CREATE TABLE import_runs (
  id          INTEGER PRIMARY KEY,
  file_hash   TEXT    NOT NULL,
  node_id     INTEGER NOT NULL,
  rows_total  INTEGER NOT NULL,
  rows_done   INTEGER NOT NULL,
  status      TEXT    NOT NULL,
  actor_id    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX import_runs_file ON import_runs(file_hash, node_id);
