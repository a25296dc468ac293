-- Full-text search over cases: search_text holds the description, address and notes in search
-- form (simplified characters, lower case; core/chinese_text). An FTS5 trigram index finds
-- three characters or more; shorter queries scan within the caller's scope.
ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE cases SET search_text = lower(description || ' ' || address);
CREATE VIRTUAL TABLE case_search USING fts5(search_text, content='cases', content_rowid='id', tokenize='trigram');
INSERT INTO case_search(case_search) VALUES ('rebuild');
CREATE TRIGGER cases_search_insert AFTER INSERT ON cases BEGIN
  INSERT INTO case_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER cases_search_update AFTER UPDATE OF search_text ON cases
  WHEN old.search_text <> new.search_text BEGIN
  INSERT INTO case_search(case_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
  INSERT INTO case_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
