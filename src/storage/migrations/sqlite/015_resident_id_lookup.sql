-- Looking a resident up by ID number (a new resident's duplicate check, the ID search) asks for
-- every record with that blind index, moved away and deceased included; the unique index only
-- covers the active ones, so the lookup scanned the whole table (seconds at a city's 20 M).
CREATE INDEX residents_id ON residents(id_index);
