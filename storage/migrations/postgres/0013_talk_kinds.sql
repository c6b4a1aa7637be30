-- PostgreSQL text of storage/migrations/0013_talk_kinds.sql (storage/postgres.py): INTEGER is BIGINT,
-- an `id INTEGER PRIMARY KEY` an identity column; what differs besides is said where it is.
-- Issue 22 §7: talk kinds are one list (SPEC §11: 廉政谈话, 逐级约谈, 谈心谈话, 工作约谈,
-- 提醒谈话, 履职约谈, 诫勉谈话, 任前谈话). The old kind 约谈 is 工作约谈; 廉政谈话, 提醒谈话
-- and 诫勉谈话 keep their names. The 履责纪实 (events) keeps what was recorded at the time.

-- A 约谈 that closed a rule's 逐级约谈 (the old list had no 逐级约谈, and offered 约谈 first
-- for those items, its word being in their titles) was a 逐级约谈: SPEC §4's obligation.
UPDATE talks SET kind = '逐级约谈'
    WHERE kind = '约谈' AND item_id IN (
        SELECT id FROM items WHERE rule_key IS NOT NULL AND instr(title, '逐级约谈') > 0);

-- Every other talk recorded as 约谈.
UPDATE talks SET kind = '工作约谈' WHERE kind = '约谈';

-- Talks set ad hoc (`安排约谈`): an obligation item with a counterpart and no rule, titled
-- "<kind>：<name>" by the bot itself, so its title names the kind too.
UPDATE items SET title = '工作约谈' || substr(title, 3)
    WHERE kind = 'obligation' AND rule_key IS NULL AND counterpart_id IS NOT NULL
      AND substr(title, 1, 3) = '约谈：';
