-- Full-text search over cases: search_text holds the description, address and notes in search
-- form (simplified characters, lower case; core/chinese_text). A pg_trgm GIN index finds three
-- characters or more; shorter queries scan within the caller's scope. pg_trgm is a trusted
-- extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE cases SET search_text = lower(description || ' ' || address);
CREATE INDEX cases_search ON cases USING gin (search_text gin_trgm_ops);
