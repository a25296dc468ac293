-- Buildings are found by the key of their address (domain::AddressKey), which variants of the
-- same address share: 虹橋路８８號 and 虹桥路88号, 3号楼 and 3幢. NULL until the server computes it:
-- rows from before this migration get theirs at start-up (RegistryService::Prepare).
ALTER TABLE buildings ADD COLUMN address_key TEXT;
DROP INDEX buildings_address;
CREATE INDEX buildings_address_key ON buildings(address_key);
