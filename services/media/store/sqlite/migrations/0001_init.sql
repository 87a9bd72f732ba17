-- Media schema, version 1. Never edit once applied: add 0002_... instead.

-- One row per upload. Blobs are content-addressed: several rows may share one sha256,
-- and the file under blobs/ goes only when the last row referring to it does.
CREATE TABLE media (
  media_id     TEXT PRIMARY KEY,
  sha256       TEXT NOT NULL,
  size         INTEGER NOT NULL CHECK (size >= 0),
  content_type TEXT NOT NULL,
  name         TEXT NOT NULL DEFAULT '',
  uploader     TEXT NOT NULL,
  visibility   TEXT NOT NULL CHECK (visibility IN ('private', 'public')),
  width        INTEGER,
  height       INTEGER,
  created_ms   INTEGER NOT NULL
);
CREATE INDEX media_by_blob ON media(sha256);

-- Each user's running total of uploaded bytes (every upload counts, deduplicated or
-- not), kept in the same transaction as the rows so the quota check is O(1).
CREATE TABLE usage (
  user_id TEXT PRIMARY KEY,
  bytes   INTEGER NOT NULL CHECK (bytes >= 0)
);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
