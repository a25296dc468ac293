-- A node other than a subdistrict must have a parent. Inserts name their parent through a
-- subquery that finds it only if it is unchanged and active, so this also refuses a node whose
-- parent moved or was archived after the caller checked it.
CREATE TRIGGER org_nodes_parent_required BEFORE INSERT ON org_nodes
  WHEN NEW.parent_id IS NULL AND NEW.type <> 'subdistrict'
  BEGIN SELECT RAISE(ABORT, 'the parent node was changed or archived meanwhile'); END;
