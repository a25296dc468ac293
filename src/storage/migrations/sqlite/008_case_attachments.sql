-- Photos and files of cases. The bytes live outside the database, in the blob store under their
-- content hash (<data-dir>/attachments/ab/abcdef…); a row says which case they belong to.
CREATE TABLE case_attachments (
  id            INTEGER PRIMARY KEY,
  case_id       INTEGER NOT NULL REFERENCES cases(id),
  content_hash  TEXT   NOT NULL,              -- BLAKE2b-256, hex
  content_type  TEXT   NOT NULL,              -- from the bytes, never from the client
  size          INTEGER NOT NULL,
  file_name     TEXT   NOT NULL DEFAULT '',
  public        INTEGER NOT NULL DEFAULT 0,    -- 1: the resident sees it by tracking code (without EXIF location)
  actor_kind    TEXT   NOT NULL,              -- staff, resident, api_key
  actor_id      INTEGER,
  created_at    INTEGER NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments(case_id, id);
