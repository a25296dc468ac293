-- The deliberation council (议事会): the general grid leader gathers escalated matters into a
-- meeting with an agenda; the meeting's attendees and each decision are recorded, and each
-- decision also becomes a step ("council") on its case's timeline.
CREATE TABLE council_meetings (
  id            INTEGER PRIMARY KEY,
  node_id       INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path     TEXT NOT NULL,
  title         TEXT   NOT NULL,
  place         TEXT   NOT NULL DEFAULT '',
  scheduled_at  INTEGER NOT NULL,
  state         TEXT   NOT NULL,              -- planned, held
  attendees     TEXT   NOT NULL DEFAULT '[]', -- JSON list of names (residents' representatives are not users)
  minutes       TEXT   NOT NULL DEFAULT '',
  created_by    INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  held_at       INTEGER
);
CREATE INDEX council_meetings_path ON council_meetings(node_path, id);

CREATE TABLE council_items (
  meeting_id  INTEGER NOT NULL REFERENCES council_meetings(id),
  case_id     INTEGER NOT NULL REFERENCES cases(id),
  position    INTEGER NOT NULL,
  decision    TEXT   NOT NULL DEFAULT '',
  PRIMARY KEY (meeting_id, case_id)
);
CREATE INDEX council_items_case ON council_items(case_id);
