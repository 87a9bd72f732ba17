-- Chat schema, version 1. Never edit once applied: add 0002_... instead.
CREATE TABLE rooms (
  room_id    TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  topic      TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
  creator    TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE memberships (
  room_id    TEXT NOT NULL REFERENCES rooms(room_id),
  user_id    TEXT NOT NULL,
  membership TEXT NOT NULL CHECK (membership IN ('join', 'invite', 'leave', 'ban')),
  role       TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  since_pos  INTEGER NOT NULL,
  inviter    TEXT,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships(user_id, membership);

-- The log. pos is the global stream position, seq the room's own gapless count.
CREATE TABLE events (
  pos         INTEGER PRIMARY KEY,
  room_id     TEXT NOT NULL REFERENCES rooms(room_id),
  seq         INTEGER NOT NULL,
  event_id    TEXT NOT NULL UNIQUE,
  sender      TEXT NOT NULL,
  type        TEXT NOT NULL,
  content     TEXT NOT NULL,
  ts          INTEGER NOT NULL,
  txn_id      TEXT,
  session_id  TEXT,
  redacted_by TEXT,
  UNIQUE (room_id, seq)
);

-- Send deduplication per (session, room, txn_id), written with its event.
CREATE TABLE txns (
  session_id TEXT NOT NULL,
  room_id    TEXT NOT NULL,
  txn_id     TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (session_id, room_id, txn_id)
);

CREATE TABLE receipts (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
