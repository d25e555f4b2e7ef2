-- An event can be ended: its questions are closed, none is live, and every screen shows that it is over.
ALTER TABLE events ADD COLUMN ended_at timestamptz;
