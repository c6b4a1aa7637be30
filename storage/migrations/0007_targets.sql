-- Issue 21, the channel seam: an outbox row is addressed to a target (a channel and an
-- address on it), not to a Telegram chat id. Today's rows are all Telegram's: their chat
-- id becomes the address. A robot's address is its channels.id.
ALTER TABLE outbox RENAME COLUMN chat_id TO address;
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
DROP INDEX outbox_message;
CREATE INDEX outbox_message ON outbox(channel, address, message_id);
CREATE INDEX outbox_target ON outbox(channel, address) WHERE status = 'pending';

-- How a messenger @-mentions a person (手机号 is persons.phone already): the WeCom
-- userid (企业微信账号) and the Feishu open_id (飞书ID), from the import template.
ALTER TABLE persons ADD COLUMN wecom_userid TEXT;
ALTER TABLE persons ADD COLUMN feishu_open_id TEXT;

-- 保密 mode per channel: NULL follows DUTYBOT_CONFIDENTIAL, 1 or 0 overrides it.
ALTER TABLE channels ADD COLUMN confidential INTEGER CHECK (confidential IN (0, 1));
-- The messenger said "too fast": nothing goes to this robot before then.
ALTER TABLE channels ADD COLUMN resume_at TEXT;

-- Each message a robot accepted, for its sliding rate windows (a restart keeps them);
-- rows older than the longest window are pruned.
CREATE TABLE robot_sends (
    channel_id  INTEGER NOT NULL,
    sent_at     TEXT NOT NULL
);
CREATE INDEX robot_sends_channel ON robot_sends(channel_id, sent_at);

-- A reminder delivered into a push-only robot group: its person cannot answer it there,
-- so it is not counted as unanswered (SPEC §7's reply figures leave it out).
ALTER TABLE reminders ADD COLUMN push_only INTEGER NOT NULL DEFAULT 0;
