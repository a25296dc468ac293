-- The case search index holds pairs of neighbouring characters instead of pg_trgm's trigrams, as
-- on SQLite (its migration 018), so two-character queries — most Chinese words: 漏水, 噪音, 停车
-- — are found through it too. pg_trgm also needed a database whose LC_CTYPE classifies Chinese
-- characters as letters: under the C locale it indexed none of them (show_trgm('楼道漏水') is
-- empty), and every Chinese search read the whole index. Pairs are taken by position, whatever
-- the locale.
--
-- linli_pairs(text): the text's pairs, as two runs of non-overlapping ones (from the first
-- character and from the second), which regexp_replace finds without a set-returning function
-- (2.2× faster than substr over generate_series). A run can end with a single character; such
-- keys are harmless, since a query asks for pairs only (CaseRepo::List passes the query's pairs
-- as computed by Linli, never through this function).
CREATE FUNCTION linli_pairs(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_remove(
           string_to_array(regexp_replace(t, '(..)', E'\\1\x01', 'g'), E'\x01')
             || string_to_array(regexp_replace(substr(t, 2), '(..)', E'\\1\x01', 'g'), E'\x01'),
           '')
$$;
DROP INDEX cases_search;
CREATE INDEX cases_search ON cases USING gin (linli_pairs(search_text));
