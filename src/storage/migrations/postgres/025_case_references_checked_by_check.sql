-- A case's node, category, building, reporter and assignee, and an event's case, are no longer
-- checked row by row on PostgreSQL (migration 019 did the same for notifications).
--
-- Each of those keys cost the writer's one backend a query of its own per new case or event
-- (`RI_FKey_check`, with its executor start-up and a FOR KEY SHARE row lock): 22–27 % of its CPU
-- a report at staff intake on the demo (129 / 129 / 152 → 94 / 102 / 106 µs, alternately), and
-- that one backend bounds intake there (docs/performance.md). The application already ensures
-- each: the node comes from the org tree it resolved, the category from the catalogue, a building
-- or an assignee is read and refused by name when missing (`building_id`, `assignee_id`), the
-- reporter is the caller, an event is written by the job that holds its case. Nothing deletes an
-- org node, a category, a building, a user or a case, and no key of theirs changes. `linli check`
-- finds any row that names a missing one instead (storage/unchecked_references.h). SQLite keeps
-- every key: its checks take no locks, and dropping one there means rebuilding the table.
-- A case's `merged_into` keeps its key: it is set by a rare rejection, never at intake.
DO $$
DECLARE
  k record;
BEGIN
  FOR k IN
    SELECT t.relname, c.conname
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f' AND c.conparentid = 0 AND t.relnamespace = current_schema()::regnamespace
      AND (t.relname, a.attname) IN (VALUES ('cases', 'node_id'), ('cases', 'category_code'),
                                            ('cases', 'building_id'), ('cases', 'reporter_id'),
                                            ('cases', 'assignee_id'), ('case_events', 'case_id'))
  LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', k.relname, k.conname);
  END LOOP;
END $$;

-- A bulk load killed before this migration may have recorded one of them to put back.
DELETE FROM suspended_for_load
WHERE definition ~ '^ALTER TABLE cases ADD CONSTRAINT \S+ FOREIGN KEY \((node_id|category_code|building_id|reporter_id|assignee_id)\)'
   OR definition ~ '^ALTER TABLE case_events ADD CONSTRAINT \S+ FOREIGN KEY \(case_id\)';
