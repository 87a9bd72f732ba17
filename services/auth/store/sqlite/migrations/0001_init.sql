-- Auth schema, version 1. Never edit once applied: add 0002_... instead.
CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE,
  display_name   TEXT NOT NULL,
  avatar         TEXT,
  kind           TEXT NOT NULL CHECK (kind IN ('user', 'bot')),
  admin          INTEGER NOT NULL DEFAULT 0,
  disabled       INTEGER NOT NULL DEFAULT 0,
  deleted        INTEGER NOT NULL DEFAULT 0,
  password_hash  TEXT,
  owner_id       TEXT REFERENCES users(id),
  api_key_hash   TEXT,
  bot_session_id TEXT,
  scopes         TEXT NOT NULL,
  created_ms     INTEGER NOT NULL
);
CREATE INDEX users_by_owner ON users(owner_id);

CREATE TABLE sessions (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id),
  revoked    INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  rotated    INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);

CREATE TABLE invites (
  code_hash  TEXT PRIMARY KEY,
  created_by TEXT,
  admin      INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_by    TEXT
);

CREATE TABLE signing_keys (
  kid          TEXT PRIMARY KEY,
  secret_key   BLOB NOT NULL,
  public_key   BLOB NOT NULL,
  created_ms   INTEGER NOT NULL,
  sign_from_ms INTEGER NOT NULL,
  retired_ms   INTEGER
);
