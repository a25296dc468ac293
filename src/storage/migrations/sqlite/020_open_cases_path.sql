-- A place's open cases (a grid worker's inbox, `open=true` lists, the overdue ones) in path order
-- without reading its closed ones: through cases_path every case the grid ever had was read and
-- dropped by `closed_at IS NULL` (263 rows for 4 open ones in a generated district's grid; five
-- years kept, five times that). Keys enter when a case is made and leave when it closes.
CREATE INDEX cases_open_path ON cases(node_path, id) WHERE closed_at IS NULL;
