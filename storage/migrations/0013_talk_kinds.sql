-- Issue 22 §7: talk kinds are one list (SPEC §11: 廉政谈话, 逐级约谈, 谈心谈话, 工作约谈,
-- 提醒谈话, 履职约谈, 诫勉谈话, 任前谈话). The old kind 约谈 is 工作约谈; 廉政谈话, 提醒谈话
-- and 诫勉谈话 keep their names. The 履责纪实 (events) keeps what was recorded at the time.

-- Talks recorded as held.
UPDATE talks SET kind = '工作约谈' WHERE kind = '约谈';

-- Talks set ad hoc (`安排约谈`): an obligation item with a counterpart and no rule, titled
-- "<kind>：<name>" by the bot itself, so its title names the kind too.
UPDATE items SET title = '工作约谈' || substr(title, 3)
    WHERE kind = 'obligation' AND rule_key IS NULL AND counterpart_id IS NOT NULL
      AND substr(title, 1, 3) = '约谈：';
