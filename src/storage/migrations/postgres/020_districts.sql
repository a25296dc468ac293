-- Districts (区/县): a city's deployment groups its subdistricts under them, so a root is a
-- district or a subdistrict, and a subdistrict may have a parent. Inserts name their parent
-- through a subquery that finds it only if it is unchanged and active; a node left without one
-- is refused unless it was meant to be a root (its path is "/<its id>/"), so a subdistrict whose
-- district moved or was archived meanwhile does not become a root by accident.
ALTER TABLE org_nodes DROP CONSTRAINT org_nodes_parent_required;
ALTER TABLE org_nodes ADD CONSTRAINT org_nodes_parent_required
  CHECK (parent_id IS NOT NULL OR (type IN ('district', 'subdistrict') AND path = '/' || id || '/'));
