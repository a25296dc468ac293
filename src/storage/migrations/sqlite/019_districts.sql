-- Districts (区/县): a city's deployment groups its subdistricts under them, so a root is a
-- district or a subdistrict, and a subdistrict may have a parent. Inserts name their parent
-- through a subquery that finds it only if it is unchanged and active; a node left without one
-- is refused unless it was meant to be a root (its path is "/<its id>/"), so a subdistrict whose
-- district moved or was archived meanwhile does not become a root by accident.
DROP TRIGGER org_nodes_parent_required;
CREATE TRIGGER org_nodes_parent_required BEFORE INSERT ON org_nodes
  WHEN NEW.parent_id IS NULL AND (NEW.type NOT IN ('district', 'subdistrict') OR NEW.path <> '/' || NEW.id || '/')
  BEGIN SELECT RAISE(ABORT, 'the parent node was changed or archived meanwhile'); END;
