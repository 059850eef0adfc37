-- Events get a public id (evt_…) for webhook deliveries to name; the row id stays the sequence.
ALTER TABLE events ADD COLUMN event_id TEXT;
CREATE UNIQUE INDEX events_by_event_id ON events(event_id);
