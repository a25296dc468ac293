-- A case's history (case_events, append-only, ~5 rows a case: 50 M a year for a city) is
-- partitioned by the month of `at`, China time: each month's events are a table of their own whose
-- indexes stay small, and old years can be detached to cheaper storage. `cases` itself is not: it
-- is updated in place, its ids, tracking codes and idempotency keys must stay unique across all
-- months, and its lists are index ranges by node path whose cost does not grow with the table.
--
-- The existing table becomes the first partition, covering everything before next month; each
-- month after gets its partition ahead of time (linli_ensure_case_event_partitions, below, run at
-- start-up and hourly by the server), and a DEFAULT partition catches anything no month covers.
DO $$
DECLARE
  next_id BIGINT;
  bound   BIGINT;
BEGIN
  SELECT greatest(coalesce((SELECT max(id) FROM case_events), 0),
                  (SELECT last_value FROM case_events_id_seq)) + 1 INTO next_id;
  ALTER TABLE case_events RENAME TO case_events_before;
  ALTER INDEX case_events_case RENAME TO case_events_before_case;
  ALTER INDEX case_events_at RENAME TO case_events_before_at;
  -- A partition's primary key must include the partition key: (id, at) replaces (id), built
  -- when the table is attached (nothing refers to an event's id).
  ALTER TABLE case_events_before DROP CONSTRAINT case_events_pkey;
  -- A partition may not have an identity column (PostgreSQL 15); ids come from a sequence owned
  -- by the partitioned table, continuing where the identity left off.
  ALTER TABLE case_events_before ALTER COLUMN id DROP IDENTITY;

  -- The same columns as before (no identity: see above), keyed and partitioned by time.
  CREATE TABLE case_events (
    LIKE case_events_before INCLUDING DEFAULTS,
    PRIMARY KEY (id, at),
    FOREIGN KEY (case_id) REFERENCES cases(id)
  ) PARTITION BY RANGE (at);
  EXECUTE format('CREATE SEQUENCE case_events_id_seq START WITH %s OWNED BY case_events.id', next_id);
  ALTER TABLE case_events ALTER COLUMN id SET DEFAULT nextval('case_events_id_seq');

  -- The first instant of next month in China (UTC+8), in milliseconds like every `at`.
  bound := (extract(epoch FROM (date_trunc('month', now() AT TIME ZONE INTERVAL '+08:00') + interval '1 month')
                               AT TIME ZONE INTERVAL '+08:00') * 1000)::bigint;
  EXECUTE format('ALTER TABLE case_events ATTACH PARTITION case_events_before FOR VALUES FROM (MINVALUE) TO (%s)', bound);
  CREATE TABLE case_events_default PARTITION OF case_events DEFAULT;
  -- The same indexes as before; the first partition's own are attached, not rebuilt.
  CREATE INDEX case_events_case ON case_events(case_id, id);
  CREATE INDEX case_events_at ON case_events(at, id);
END $$;

-- Creates the partitions of this month and the next `months_ahead` that do not exist yet, and
-- returns how many it made. A month already covered (by the first partition) or whose rows
-- already sit in the DEFAULT partition (the server was stopped for months) is left as it is. The
-- lock timeout keeps a long read on case_events from turning the DDL's lock into a queue.
CREATE FUNCTION linli_ensure_case_event_partitions(now_ms BIGINT, months_ahead INT) RETURNS INT
LANGUAGE plpgsql SET lock_timeout = '2s' AS $$
DECLARE
  first_month TIMESTAMP := date_trunc('month', to_timestamp(now_ms / 1000.0) AT TIME ZONE INTERVAL '+08:00');
  month_start TIMESTAMP;
  name        TEXT;
  made        INT := 0;
BEGIN
  FOR i IN 0..months_ahead LOOP
    month_start := first_month + make_interval(months => i);
    name := 'case_events_' || to_char(month_start, 'YYYY_MM');
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    BEGIN
      EXECUTE format('CREATE TABLE %I PARTITION OF case_events FOR VALUES FROM (%s) TO (%s)', name,
                     (extract(epoch FROM month_start AT TIME ZONE INTERVAL '+08:00') * 1000)::bigint,
                     (extract(epoch FROM (month_start + interval '1 month') AT TIME ZONE INTERVAL '+08:00') * 1000)::bigint);
      made := made + 1;
    EXCEPTION
      WHEN invalid_object_definition THEN NULL;  -- overlaps the first partition: already covered
      WHEN check_violation THEN NULL;            -- its rows are in the DEFAULT partition already
    END;
  END LOOP;
  RETURN made;
END $$;

SELECT linli_ensure_case_event_partitions((extract(epoch FROM now()) * 1000)::bigint, 3);
