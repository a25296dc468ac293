-- The feed of case updates by time (Open311 servicerequestupdates, start_date/end_date).
CREATE INDEX case_events_at ON case_events(at, id);
