-- The trigram index is written once per committed batch instead of once per case. In SQLite 3.40
-- each savepoint and each statement journal makes FTS5 flush its pending terms as a new segment,
-- and the writer runs every job of a batch in a savepoint: a case reported inside a batch cost a
-- segment of its own (and the merges after it), a third of the writer's time at intake. The
-- triggers now only note which cases changed (a plain table, so a savepoint rolled back forgets
-- its notes too); the writer indexes them just before COMMIT (SqliteDriver::BeforeCommit).
-- indexed_text is the text the index holds for the case (NULL: a new case, nothing indexed yet);
-- the first note of a transaction wins, so later updates keep the text to delete.
CREATE TABLE case_search_pending (case_id INTEGER PRIMARY KEY, indexed_text TEXT);
DROP TRIGGER cases_search_insert;
DROP TRIGGER cases_search_update;
CREATE TRIGGER cases_search_insert AFTER INSERT ON cases BEGIN
  INSERT INTO case_search_pending (case_id, indexed_text) VALUES (new.id, NULL)
    ON CONFLICT (case_id) DO NOTHING;
END;
CREATE TRIGGER cases_search_update AFTER UPDATE OF search_text ON cases
  WHEN old.search_text <> new.search_text BEGIN
  INSERT INTO case_search_pending (case_id, indexed_text) VALUES (old.id, old.search_text)
    ON CONFLICT (case_id) DO NOTHING;
END;
