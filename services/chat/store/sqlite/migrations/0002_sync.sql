-- Chat schema, version 2: what sync and unread counts need. Never edit once applied.

-- The user a member event is about, so a user's membership history is one index scan.
ALTER TABLE events ADD COLUMN target TEXT;
UPDATE events SET target = json_extract(content, '$.user_id') WHERE type = 'member';
CREATE INDEX events_by_target ON events(target, pos) WHERE target IS NOT NULL;

-- Unread counts in O(1): the room's running count of `message` events, and on each
-- read marker the count it had reached (unread = rooms.messages - receipts.messages).
ALTER TABLE rooms ADD COLUMN messages INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET messages =
  (SELECT COUNT(*) FROM events e WHERE e.room_id = rooms.room_id AND e.type = 'message');
ALTER TABLE receipts ADD COLUMN messages INTEGER NOT NULL DEFAULT 0;
UPDATE receipts SET messages =
  (SELECT COUNT(*) FROM events e
   WHERE e.room_id = receipts.room_id AND e.type = 'message' AND e.seq <= receipts.seq);
