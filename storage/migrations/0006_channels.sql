-- Issue 21: the office's group robots (企业微信, 钉钉, 飞书), registered on the console
-- (`dutybot channel add`), so that a webhook key never passes through a chat. The key and
-- the secret are stored as given: this database is the office's own. Nothing sends to
-- them yet; the outbox learns to in a later step.
CREATE TABLE channels (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,  -- the group's display name, e.g. 纪委工作群
    kind           TEXT NOT NULL,  -- wecom, dingtalk, feishu
    webhook        TEXT NOT NULL UNIQUE,  -- one robot is one channel
    secret         TEXT,  -- 加签 / 签名校验
    keyword        TEXT,  -- 自定义关键词
    whose          TEXT NOT NULL CHECK (whose IN ('supervision', 'unit')),
    unit_id        INTEGER REFERENCES units(id),
    is_primary     INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    created_at     TEXT NOT NULL,
    broken_since   TEXT,  -- the messenger refused the robot's key or security check
    broken_reason  TEXT,
    CHECK ((whose = 'unit') = (unit_id IS NOT NULL)),
    CHECK (is_primary = 0 OR whose = 'unit')
);
-- A unit's people get their reminders in one group at most.
CREATE UNIQUE INDEX channels_primary ON channels(unit_id) WHERE is_primary = 1;
