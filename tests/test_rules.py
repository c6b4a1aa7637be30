"""The rules file: shipped defaults, merging a user's file over them, and one-line errors."""

from __future__ import annotations

import textwrap
from datetime import date, time
from pathlib import Path

import pytest

from bot.domain.calendar import YearOverride
from bot.domain.model import Duty, Person, Role
from bot.domain.obligations import TITLE_FIELDS, Category, Pairing, Schedule, title_of
from bot.domain.policy import QuietHours, ReminderPolicy
from bot.domain.summary import WeeklyPolicy
from bot.rules import Rules, RulesError, load_rules

DEFAULT_KEYS = [
    "annual_principal_report",
    "annual_supervision_report",
    "accountability_statement",
    "written_accountability_statement",
    "integrity_talk_secretary",
    "integrity_talk_members",
    "cascade_talk",
    "accountability_quarterly",
    "typical_cases_bimonthly",
    "democratic_life_meeting_report",
    "annual_work_plan",
    "annual_lists_members",
]

NEW_REPORT = """
[[obligation]]
key = "monthly_check"
title = "{year}年{month}月自查"
kind = "report"
duty = "principal"
who = ["secretary"]
schedule = "monthly"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Rules:
    return load_rules(write(tmp_path, text))


def by_key(rules: Rules) -> dict:
    return {rule.key: rule for rule in rules.obligations}


# Defaults ----------------------------------------------------------------------------------


def test_defaults_match_the_domain_defaults() -> None:
    rules = load_rules(None)
    assert rules.policy == ReminderPolicy()
    assert rules.calendar == {}
    assert [rule.key for rule in rules.obligations] == DEFAULT_KEYS


def test_default_obligations_follow_the_spec() -> None:
    rules = by_key(load_rules(None))
    expected = {
        "annual_principal_report": (Schedule.YEARLY, {Role.SECRETARY}, Duty.PRINCIPAL, (1, 31)),
        "annual_supervision_report": (Schedule.YEARLY, {Role.DISCIPLINE_SECRETARY},
                                      Duty.SUPERVISION, (1, 31)),
        "accountability_statement": (Schedule.YEARLY, {Role.SECRETARY}, Duty.FIRST, (1, 31)),
        "written_accountability_statement": (Schedule.YEARLY, {Role.MEMBER}, Duty.DUAL, (1, 31)),
        "integrity_talk_secretary": (Schedule.YEARLY, {Role.SECRETARY}, Duty.FIRST, (12, 31)),
        "integrity_talk_members": (Schedule.YEARLY, {Role.MEMBER}, Duty.DUAL, (12, 31)),
        "cascade_talk": (Schedule.YEARLY, {Role.SECRETARY, Role.DISCIPLINE_SECRETARY},
                         Duty.PRINCIPAL, (12, 31)),
        "accountability_quarterly": (Schedule.QUARTERLY, {Role.DISCIPLINE_SECRETARY},
                                     Duty.SUPERVISION, (None, None)),
        "typical_cases_bimonthly": (Schedule.BIMONTHLY, {Role.DISCIPLINE_SECRETARY},
                                    Duty.SUPERVISION, (None, None)),
        "democratic_life_meeting_report": (Schedule.AFTER_EVENT, {Role.SECRETARY}, Duty.FIRST,
                                           (None, None)),
        "annual_work_plan": (Schedule.YEARLY, {Role.SECRETARY}, Duty.PRINCIPAL, (3, 31)),
        "annual_lists_members": (Schedule.YEARLY, {Role.MEMBER}, Duty.DUAL, (3, 31)),
    }
    for key, (schedule, who, duty, due) in expected.items():
        rule = rules[key]
        assert (rule.schedule, set(rule.who), rule.duty, (rule.due_month, rule.due_day)) == (
            schedule, who, duty, due), key
    talks = {key: rule.pairing for key, rule in rules.items() if rule.category is Category.TALK}
    assert talks == {
        "integrity_talk_secretary": Pairing.MEMBERS,
        "integrity_talk_members": Pairing.OVERSEEN_UNIT_HEADS,
        "cascade_talk": Pairing.BRANCH_SECRETARIES,
    }
    meeting = rules["democratic_life_meeting_report"]
    assert (meeting.event, meeting.days_after) == ("democratic_life_meeting", 7)


def test_every_default_title_formats() -> None:
    partner = Person(id=2, name="李四", unit_id=1, roles=frozenset({Role.MEMBER}))
    for rule in load_rules(None).obligations:
        title = title_of(rule, date(2027, 1, 31), date(2027, 1, 20), partner)
        assert "{" not in title and "}" not in title, rule.key
        rule.title.format(**dict.fromkeys(TITLE_FIELDS, "x"))
    titles = {rule.key: title_of(rule, date(2027, 1, 31), date(2027, 1, 20), partner)
              for rule in load_rules(None).obligations}
    assert titles["annual_principal_report"] == "2026年度党委主体责任报告（双报告）"
    assert titles["integrity_talk_secretary"] == "2027年廉政谈话：李四"
    assert titles["democratic_life_meeting_report"] == "民主生活会情况报上级纪委（1月20日召开）"


# Merging a user's file ---------------------------------------------------------------------


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load(tmp_path, "# nothing\n") == load_rules(None)


def test_reminder_settings_override_key_by_key(tmp_path: Path) -> None:
    rules = load(tmp_path, """
        [reminders]
        lead_days = [1, 10, 5]
        send_time = "8:30"
        """)
    assert rules.policy.lead_days == (10, 5, 1)
    assert rules.policy.send_time == time(8, 30)
    assert rules.policy.quiet_hours == QuietHours(time(21), time(8))
    assert rules.policy.owner_after_days == 1


def test_quiet_hours_can_be_switched_off_or_moved(tmp_path: Path) -> None:
    assert load(tmp_path, '[reminders]\nquiet_hours = ""\n').policy.quiet_hours is None
    moved = load(tmp_path, '[reminders]\nquiet_hours = "12:00-13:30"\n').policy.quiet_hours
    assert moved == QuietHours(time(12), time(13, 30))


def test_the_weekly_summary_day_and_time(tmp_path: Path) -> None:
    assert load_rules(None).weekly == WeeklyPolicy(0, time(9))
    rules = load(tmp_path, '[summary]\nweekday = "周五"\nsend_time = "16:30"\n')
    assert rules.weekly == WeeklyPolicy(4, time(16, 30))
    assert load(tmp_path, '[summary]\nweekday = "Tuesday"\n').weekly == WeeklyPolicy(1, time(9))
    assert load(tmp_path, '[summary]\nweekday = ""\n').weekly.weekday is None  # on demand only


def test_escalation_overrides_key_by_key(tmp_path: Path) -> None:
    policy = load(tmp_path, "[escalation]\nowner_after_days = 0\nleaders_after_days = 5\n").policy
    assert (policy.owner_after_days, policy.leaders_after_days,
            policy.discipline_after_days) == (0, 5, 7)


def test_a_default_obligation_can_be_disabled(tmp_path: Path) -> None:
    rules = load(tmp_path, """
        [[obligation]]
        key = "typical_cases_bimonthly"
        enabled = false
        """)
    assert [rule.key for rule in rules.obligations] == [
        k for k in DEFAULT_KEYS if k != "typical_cases_bimonthly"]


def test_a_whole_entry_replaces_the_default_in_place(tmp_path: Path) -> None:
    rules = load(tmp_path, """
        [[obligation]]
        key = "annual_work_plan"
        title = "{year}年第{quarter}季度工作要点落实情况"
        kind = "report"
        duty = "principal"
        who = ["secretary"]
        schedule = "quarterly"
        """)
    assert [rule.key for rule in rules.obligations] == DEFAULT_KEYS
    plan = by_key(rules)["annual_work_plan"]
    assert plan.schedule is Schedule.QUARTERLY
    assert (plan.due_month, plan.due_day) == (None, None)
    assert plan.title == "{year}年第{quarter}季度工作要点落实情况"


def test_a_partial_entry_changes_only_its_fields(tmp_path: Path) -> None:
    rules = load(tmp_path, """
        [[obligation]]
        key = "accountability_statement"
        due = "02-15"
        """)
    statement = by_key(rules)["accountability_statement"]
    assert (statement.due_month, statement.due_day) == (2, 15)
    assert statement.title == "{report_year}年度述责述廉（向全委会）"
    assert statement.who == frozenset({Role.SECRETARY})


def test_a_partial_entry_with_a_new_schedule_drops_the_old_due(tmp_path: Path) -> None:
    rules = load(tmp_path, """
        [[obligation]]
        key = "annual_lists_members"
        schedule = "quarterly"
        """)
    lists = by_key(rules)["annual_lists_members"]
    assert (lists.schedule, lists.due_month) == (Schedule.QUARTERLY, None)


def test_new_obligations_are_appended(tmp_path: Path) -> None:
    rules = load(tmp_path, NEW_REPORT)
    assert [rule.key for rule in rules.obligations] == [*DEFAULT_KEYS, "monthly_check"]
    added = rules.obligations[-1]
    assert (added.schedule, added.category, added.duty) == (
        Schedule.MONTHLY, Category.REPORT, Duty.PRINCIPAL)


def test_chinese_names_are_accepted(tmp_path: Path) -> None:
    rules = load(tmp_path, """
        [[obligation]]
        key = "discipline_talks"
        title = "{year}年纪委谈话：{with}"
        kind = "talk"
        duty = "监督责任"
        who = ["纪委书记", "纪委委员", "member"]
        with = "branch_secretaries"
        schedule = "yearly"
        due = "6-30"
        """)
    talk = by_key(rules)["discipline_talks"]
    assert talk.duty is Duty.SUPERVISION
    assert talk.who == frozenset({Role.DISCIPLINE_SECRETARY, Role.DISCIPLINE, Role.MEMBER})
    assert (talk.due_month, talk.due_day, talk.pairing) == (6, 30, Pairing.BRANCH_SECRETARIES)


def test_calendar_years_are_loaded(tmp_path: Path) -> None:
    rules = load(tmp_path, """
        [calendar.2027]
        holidays = [2027-01-01, "2027-02-08"]
        workdays = [2027-02-20]

        [calendar.2028]
        holidays = [2028-01-03]
        """)
    assert rules.calendar == {
        2027: YearOverride(holidays=frozenset({date(2027, 1, 1), date(2027, 2, 8)}),
                           workdays=frozenset({date(2027, 2, 20)})),
        2028: YearOverride(holidays=frozenset({date(2028, 1, 3)})),
    }


# Errors ------------------------------------------------------------------------------------


def fails(tmp_path: Path, text: str) -> str:
    with pytest.raises(RulesError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("DUTYBOT_RULES")
    return message


def where(message: str, line: int, key: str) -> None:
    assert f" 第 {line} 行 {key}：" in message, message


OBLIGATION = """
[reminders]
send_time = "09:00"

[[obligation]]
key = "my_report"
title = "{year}年报告"
kind = "report"
duty = "principal"
who = ["secretary"]
schedule = "yearly"
due = "01-31"
"""  # after dedent: [[obligation]] on line 4, key on 5, title 6, … schedule 10, due 11


@pytest.mark.parametrize(
    ("text", "line", "key", "fragment"),
    [
        pytest.param('[remindrs]\nsend_time = "10:00"\n', 1, "remindrs",
                     "没有这个设置项，是不是 'reminders'？", id="unknown-top-level"),
        pytest.param('# hi\n[reminders]\nsend_time = "10:00"\nlead_dayz = [1]\n', 4,
                     "reminders.lead_dayz", "没有这个设置项，是不是 'lead_days'？",
                     id="unknown-in-section"),
        pytest.param(OBLIGATION + 'dute = "x"\n', 12, "obligation[1].dute", "没有这个设置项",
                     id="unknown-in-obligation"),
        pytest.param('[escalation]\nowner_after_days = "1"\n', 2,
                     "escalation.owner_after_days", "应为整数，现为 '1'",
                     id="bad-type"),
        pytest.param('[reminders]\nlead_days = [1]\nsend_time = "25:00"\n', 3,
                     "reminders.send_time", "应为时间 HH:MM，现为 '25:00'", id="bad-time"),
        pytest.param("[reminders]\nsend_time = 9\n", 2, "reminders.send_time",
                     "应为加引号的文字", id="time-not-text"),
        pytest.param('[reminders]\nquiet_hours = "21:00~08:00"\n', 2, "reminders.quiet_hours",
                     '应为 "HH:MM-HH:MM"', id="bad-quiet-hours"),
        pytest.param('[reminders]\nquiet_hours = "21:00-21:00"\n', 2, "reminders.quiet_hours",
                     "同一时间", id="empty-quiet-hours"),
        pytest.param("[reminders]\nlead_days = [7, 61]\n", 2, "reminders.lead_days[2]",
                     "应为 0..60 天，现为 61", id="lead-day-61"),
        pytest.param("[reminders]\nlead_days = [7, 3, 3]\n", 2, "reminders.lead_days",
                     "天数不能重复，3 出现了两次", id="repeated-lead-days"),
        pytest.param("[escalation]\ndiscipline_after_days = 61\n", 2,
                     "escalation.discipline_after_days", "0..60", id="escalation-61"),
        pytest.param('[reminders]\nlead_days = [1]\nsend_time = "22:00"\n', 3,
                     "reminders.send_time", "发送时间落在免打扰时段内",
                     id="send-time-in-quiet-hours"),
        pytest.param('[reminders]\nlead_days = [1]\nquiet_hours = "08:00-10:00"\n', 3,
                     "reminders.quiet_hours", "发送时间落在免打扰时段内",
                     id="quiet-hours-over-send-time"),
        pytest.param(NEW_REPORT.lstrip() + NEW_REPORT, 10, "obligation[2].key",
                     "key 'monthly_check' 重复，已用于 obligation[1]",
                     id="duplicate-key"),
        pytest.param(OBLIGATION.replace('due = "01-31"\n', ""), 4, "obligation[1].due",
                     'schedule "yearly" 必须有此项', id="yearly-without-due"),
        pytest.param(OBLIGATION.replace("01-31", "02-30"), 11, "obligation[1].due",
                     "应为 MM-DD，现为 '02-30'", id="due-02-30"),
        pytest.param(OBLIGATION.replace("01-31", "13-01"), 11, "obligation[1].due",
                     "应为 MM-DD，现为 '13-01'", id="due-13-01"),
        pytest.param(OBLIGATION.replace("01-31", "02-29"), 11, "obligation[1].due",
                     "02-29", id="due-02-29"),
        pytest.param(OBLIGATION + 'with = "members"\n', 12, "obligation[1].with",
                     '只用于 kind "talk"', id="with-on-report"),
        pytest.param(OBLIGATION.replace('"report"', '"talk"'), 4, "obligation[1].with",
                     'kind "talk" 必须有此项', id="talk-without-with"),
        pytest.param(OBLIGATION.replace('"secretary"', '"secretary", "大队长"'), 9,
                     "obligation[1].who", "没有这个角色 '大队长'", id="unknown-role"),
        pytest.param(OBLIGATION.replace('"principal"', '"全面责任"'), 8, "obligation[1].duty",
                     "没有这个责任类型 '全面责任'", id="unknown-duty"),
        pytest.param(OBLIGATION.replace("{year}", "{yr}"), 6, "obligation[1].title",
                     "没有占位符 {yr}", id="unknown-placeholder"),
        pytest.param(OBLIGATION.replace("{year}", "{year:04d}"), 6, "obligation[1].title",
                     "占位符只能是简单的名字", id="placeholder-format-spec"),
        pytest.param(OBLIGATION.replace("{year}", "{year"), 6, "obligation[1].title",
                     "不成对", id="unmatched-brace"),
        pytest.param("lead_days = [1]\n", 1, "lead_days", "它应写在 [reminders] 之下",
                     id="section-key-at-top-level"),
        pytest.param("[calendar.20x7]\n", 1, "calendar.20x7", "应为年份",
                     id="bad-calendar-year"),
        pytest.param(OBLIGATION.replace("{year}", "{with}"), 6, "obligation[1].title",
                     "只有设置了 `with` 才能用 {with}", id="with-placeholder"),
        pytest.param(OBLIGATION.replace("{year}", "{date}"), 6, "obligation[1].title",
                     '只有 schedule "after_event" 才能用 {date}',
                     id="date-placeholder"),
        pytest.param(OBLIGATION.replace('"yearly"\ndue = "01-31"',
                                        '"after_event"\ndays_after = 7'), 4,
                     "obligation[1].event", 'schedule "after_event" 必须有此项',
                     id="after-event-without-event"),
        pytest.param(OBLIGATION.replace('"yearly"', '"weekly"'), 10, "obligation[1].schedule",
                     "schedule 没有 'weekly' 这个取值", id="unknown-schedule"),
        pytest.param(OBLIGATION.replace('"my_report"', '"My-Report"'), 5, "obligation[1].key",
                     "小写字母", id="bad-key"),
        pytest.param(OBLIGATION.replace('kind = "report"\n', ""), 4, "obligation[1].kind",
                     "缺少必填的设置项", id="missing-kind"),
        pytest.param("[calendar.2027]\nholidays = [2027-01-01]\nworkdays = [2026-12-26]\n", 3,
                     "calendar.2027.workdays[1]", "2026-12-26 不在 2027 年",
                     id="date-outside-its-year"),
        pytest.param('[calendar.2027]\nholidays = ["2027-13-01"]\n', 2,
                     "calendar.2027.holidays[1]", "应为日期 YYYY-MM-DD",
                     id="bad-calendar-date"),
        pytest.param('[[obligation]]\nkey = "no_such_thing"\nenabled = false\n', 2,
                     "obligation[1].key", "内置规则里没有 'no_such_thing' 这一项",
                     id="disable-unknown"),
        pytest.param('[summary]\nweekday = "周八"\n', 2, "summary.weekday",
                     '应为 "周一" 到 "周五" 中的一天', id="bad-summary-weekday"),
        pytest.param('[summary]\nweekday = "周日"\n', 2, "summary.weekday",
                     '应为 "周一" 到 "周五" 中的一天', id="summary-on-a-weekend"),
        pytest.param('[summary]\nsend_time = "25:00"\n', 2, "summary.send_time",
                     "应为时间 HH:MM", id="bad-summary-time"),
        pytest.param('[[obligation]]\nkey = "annual_work_plan"\n\ndue = "13-01"\n', 4,
                     "obligation[1].due", "应为 MM-DD", id="partial-entry-bad-due"),
    ],
)
def test_errors_name_the_file_line_and_key(tmp_path: Path, text: str, line: int, key: str,
                                           fragment: str) -> None:
    message = fails(tmp_path, text)
    assert str(tmp_path / "rules.toml") in message
    where(message, line, key)
    assert fragment in message


def test_obligations_are_counted_in_the_users_file(tmp_path: Path) -> None:
    text = """
        [[obligation]]
        key = "typical_cases_bimonthly"
        enabled = false

        [[obligation]]
        key = "extra"
        title = "x"
        kind = "report"
        duty = "principal"
        who = ["secretary"]
        schedule = "monthly"
        days_after = 3
        """
    where(fails(tmp_path, text), 12, "obligation[2].days_after")


def test_the_first_problem_in_the_file_is_reported(tmp_path: Path) -> None:
    text = '[[obligation]]\nkey = "annual_work_plan"\ndue = "13-01"\n\n[reminders]\nx = 1\n'
    where(fails(tmp_path, text), 3, "obligation[1].due")


def test_a_toml_syntax_error_keeps_tomllibs_position(tmp_path: Path) -> None:
    message = fails(tmp_path, '[reminders]\nsend_time = "09:00"\nlead_days 7\n')
    assert "不是有效的 TOML" in message
    assert "(at line 3, column" in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path / "rules.toml")
    assert str(caught.value) == (f"DUTYBOT_RULES: 规则文件 {tmp_path / 'rules.toml'} 不存在："
                                 "请检查路径，或不设置 DUTYBOT_RULES 以用内置规则")


def test_rules_error_is_a_config_error() -> None:
    from bot.config import ConfigError

    assert issubclass(RulesError, ConfigError)
