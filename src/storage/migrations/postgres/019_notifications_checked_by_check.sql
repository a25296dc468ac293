-- A notification's user and case are no longer checked row by row on PostgreSQL.
--
-- Notifications are an append-only log, written in the transaction that creates or changes their
-- case, to users that transaction has just read; nothing deletes a user (accounts are disabled),
-- a case or a notification. The two foreign keys guarded nothing the application does not already
-- ensure, yet each cost the one writer's backend a row lock (FOR KEY SHARE) on the user and on the
-- case, twice a report (a report notifies two people): 15–30 % of PostgreSQL's CPU a report at
-- public intake, which that one backend bounds (docs/performance.md). `linli check` finds any
-- notification whose user or case is missing instead. SQLite keeps both keys: its checks take no
-- locks, and dropping one there means rebuilding the table.
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_user_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_case_id_fkey;
