-- A node other than a subdistrict must have a parent. Inserts name their parent through a
-- subquery that finds it only if it is unchanged and active, so this also refuses a node whose
-- parent moved or was archived after the caller checked it.
ALTER TABLE org_nodes ADD CONSTRAINT org_nodes_parent_required
  CHECK (parent_id IS NOT NULL OR type = 'subdistrict');
