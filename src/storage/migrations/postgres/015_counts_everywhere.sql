-- Every count also goes to node 0, the whole deployment's total (RollupRepo::kEverywhere), so the
-- cockpit of officials who oversee every subdistrict reads one node's figures. Existing counts
-- give it its start: the sum of the subdistricts' (the roots') own totals.
INSERT INTO node_counts (node_id, metric, value)
SELECT 0, metric, sum(value) FROM node_counts
WHERE node_id IN (SELECT id FROM org_nodes WHERE parent_id IS NULL)
GROUP BY metric;
