-- What a bulk load suspended (storage/bulk_load.h): each secondary index or foreign key it dropped,
-- as the statement that makes it again, in the order to run them. Written in the transaction that
-- drops them and emptied in the one that puts them back, so a load killed half-way leaves the list
-- behind and the next `linli serve` puts them back instead of serving without them.
CREATE TABLE suspended_for_load (
  position   BIGINT  PRIMARY KEY,
  definition TEXT    NOT NULL UNIQUE
);
