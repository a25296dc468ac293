-- A report that gives an address and no map point is placed at the building with that address.
CREATE INDEX buildings_address ON buildings(address);
