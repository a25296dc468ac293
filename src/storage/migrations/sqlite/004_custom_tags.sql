-- A community's own tags (志愿者, 新就业群体 …): a vocabulary per node, so residents carry only
-- tags their community (or subdistrict) has defined. Retired tags stay on residents who have them
-- but cannot be given anew.
CREATE TABLE custom_tags (
  id           INTEGER PRIMARY KEY,
  node_id      INTEGER NOT NULL REFERENCES org_nodes(id),
  node_path    TEXT    NOT NULL,
  label        TEXT    NOT NULL,
  description  TEXT    NOT NULL DEFAULT '',
  created_by   INTEGER,
  created_at   INTEGER NOT NULL,
  retired_at   INTEGER
);
CREATE UNIQUE INDEX custom_tags_active_label ON custom_tags(node_id, label) WHERE retired_at IS NULL;
