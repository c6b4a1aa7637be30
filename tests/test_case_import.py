"""The import template's 问责 sheet (issue 22): cases recorded from a file as /问责 登记 records
them, 一案双查 included, all or nothing, and only from the 纪委 (or the office machine)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from bot.domain.model import CONSOLE, Actor, Role
from bot.services.imports import ImportRejected
from messages.imports import error_line, import_summary, template_help
from tests.conftest import snapshot
from tests.workbooks import to_bytes, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# 被问责人, 所在单位, 追责情形, 查明问题, 处理, 处理日期, 一案双查, 典型案例, 登记人
GOOD = [
    ("周支书", None, "4", "对公务接待超标准问题压案不查", "诫勉", date(2026, 11, 2), "是", "是",
     "刘纪委"),
    ("王芳", "项目科", "3", "职责范围内违规发放津补贴未有效治理", None, None, None, "否", "刘纪委"),
]


def case_book(lines) -> bytes:
    book = workbook()
    for line in lines:
        book["问责"].append(list(line))
    return to_bytes(book)


async def test_cases_are_recorded_with_their_reviews_and_a_second_import_adds_nothing(services):
    data = case_book(GOOD)
    result = await services.imports.import_file(CONSOLE, data, "问责.xlsx")
    assert (result.cases, result.cases_unchanged) == (2, 0)
    assert "问责案件（保密）：新登记 2 件 · 已有 0 件" in import_summary(result)
    async with services.db.read() as tx:
        cases = sorted(await tx.cases.all(), key=lambda c: c.id)
        reviews = await tx.cases.reviews()
        people = {p.id: p.name for p in (await tx.persons.all()).values()}
        units = {u.id: u.name for u in (await tx.units.all()).values()}
        events = await tx.events.count()
    first, second = cases
    assert (people[first.person_id], units[first.unit_id], first.situation, first.handling,
            first.decided_on, first.misconduct, first.typical) == (
        "周支书", "财务科党支部", "4", "诫勉", date(2026, 11, 2), True, True)
    assert {r.duty.value for r in reviews[first.id]} == {"principal", "supervision"}  # 一案双查
    assert (people[second.person_id], units[second.unit_id], second.misconduct,
            second.handling) == ("王芳", "项目科", False, None)
    assert second.id not in reviews
    again = await services.imports.import_file(CONSOLE, data, "问责.xlsx")
    assert (again.cases, again.cases_unchanged) == (0, 2)
    async with services.db.read() as tx:
        assert len(await tx.cases.all()) == 2
        assert await tx.events.count() == events + 1  # the import itself, nothing else


@pytest.mark.parametrize(("line", "expected"), [
    (("周支书", None, "11", "x", None, None, None, None, "刘纪委"),
     "问责 第3行 追责情形: 没有编号为“11”的追责情形"),
    (("周支书", None, "4", "x", "罚款", None, None, None, "刘纪委"),
     "问责 第3行 处理: “罚款”不是规则文件里列出的处理方式"),
    (("周支书", None, "4", None, None, None, None, None, "刘纪委"), "问责 第3行 查明问题: 不能为空"),
    (("周支书", None, None, "x", None, None, None, None, "刘纪委"), "问责 第3行 追责情形: 不能为空"),
    (("周支书", None, "4", "x", None, None, None, None, "李明"),
     "问责 第3行 登记人: 登记人“李明”不是纪委成员"),
    (("周支书", None, "4", "x", None, None, None, None, None), "问责 第3行 登记人: 不能为空"),
    (("张无名", None, "4", "x", None, None, None, None, "刘纪委"),
     "问责 第3行 被问责人: 找不到责任人“张无名”"),
    (("周支书", "不存在的科", "4", "x", None, None, None, None, "刘纪委"),
     "问责 第3行 所在单位: 找不到单位“不存在的科”"),
    (("周支书", None, "4", "x", None, date(2027, 1, 5), None, None, "刘纪委"),
     "问责 第3行 处理日期: 处理日期 2027-01-05 晚于今天"),
    (("周支书", None, "4", "x", None, None, "可能", None, "刘纪委"),
     "问责 第3行 一案双查: 不认识“可能”，可填：是、否"),
    (("周支书", None, "4", "x" * 501, None, None, None, None, "刘纪委"),
     "问责 第3行 查明问题: 太长了（最多500字）"),
])
async def test_one_bad_case_line_and_nothing_is_imported(services, line, expected):
    with pytest.raises(ImportRejected) as rejected:
        await services.imports.import_file(CONSOLE, case_book([GOOD[1], line]), "坏.xlsx")
    said = [error_line(e) for e in rejected.value.errors]
    expected = expected.replace("第3行", "第4行")  # below the example and one good line
    assert any(s.startswith(expected) for s in said), said
    async with services.db.read() as tx:  # the units, people and items neither
        assert await tx.units.all() == {} and await tx.cases.all() == []
        assert await tx.events.count() == 0


async def test_the_same_case_twice_in_one_file_is_named(services):
    with pytest.raises(ImportRejected) as rejected:
        await services.imports.import_file(CONSOLE, case_book([GOOD[0], GOOD[0]]), "重复.xlsx")
    assert [error_line(e) for e in rejected.value.errors] == ["问责 第4行 查明问题: 与第3行是同一案件"]


async def test_only_the_discipline_committee_may_import_cases(services):
    await services.imports.import_file(CONSOLE, case_book([]), "底册.xlsx")
    async with services.db.read() as tx:
        people = {p.name: p for p in (await tx.persons.all()).values()}
        events = await tx.events.count()
    # an office admin (not 纪委) sending a file with 问责 lines: the whole file is refused
    office = Actor(telegram_user_id=77, person=dataclasses.replace(
        people["王芳"], roles=frozenset({Role.ADMIN})))
    with pytest.raises(ImportRejected) as rejected:
        await services.imports.import_file(office, case_book(GOOD), "问责.xlsx")
    assert [error_line(e) for e in rejected.value.errors] == [
        "问责: 含有问责案件：问责案件只能由纪委成员本人导入（或在服务器上用 dutybot import 导入），"
        "整个文件都没有导入"]
    async with services.db.read() as tx:
        assert await tx.cases.all() == [] and await tx.events.count() == events
    # a 纪委 member who is also an admin records them; a blank 登记人 is themselves
    liu = dataclasses.replace(people["刘纪委"], roles=people["刘纪委"].roles | {Role.ADMIN})
    line = (*GOOD[1][:8], None)
    result = await services.imports.import_file(Actor(telegram_user_id=78, person=liu),
                                                case_book([line]), "问责.xlsx")
    assert result.cases == 1
    async with services.db.read() as tx:
        (case,) = await tx.cases.all()
    assert case.situation == "3"


async def test_the_template_has_the_cases_sheet_explained(services):
    book = workbook()
    assert book.sheetnames[:5] == ["单位", "人员", "清单", "分解", "问责"]
    header = [c.value for c in book["问责"][1]]
    assert header == ["被问责人", "所在单位", "追责情形", "查明问题", "处理", "处理日期", "一案双查",
                      "典型案例", "登记人"]
    explained = {(r[0], r[1]) for r in template_help() if len(r) == 4}
    assert all(("问责", column) in explained for column in header)
    assert any("“问责”表（可选，保密）" in r[0] for r in template_help() if len(r) == 1)


async def test_a_file_without_the_cases_sheet_still_imports(services):
    book = workbook()
    del book["问责"]
    result = await services.imports.import_file(CONSOLE, to_bytes(book), "旧模板.xlsx")
    assert result.cases == 0 and result.plan.created("清单") == 3


async def test_an_office_upload_with_cases_is_refused_in_chat_and_changes_nothing(bot, api, admin):
    await bot.upload(admin, case_book([]), "底册.xlsx", mime_type=XLSX)
    before = await snapshot(bot)
    await bot.upload(admin, case_book(GOOD), "问责.xlsx", mime_type=XLSX)
    text = api.last(admin.id).plain
    assert text.startswith("❌ 没有导入") and "问责案件只能由纪委成员本人导入" in text
    assert await snapshot(bot) == before


async def test_the_committee_s_exported_ledger_imports_back_unchanged(services):
    """The 纪委's 台账 has a 问责 sheet of the same headers (and more): importing it back
    records nothing twice, even without a 登记人 column."""
    await services.imports.import_file(CONSOLE, case_book(GOOD), "问责.xlsx")
    from messages.export import WORDS

    export = await services.export.export_for_console(WORDS)
    async with services.db.read() as tx:
        events = await tx.events.count()
    result = await services.imports.import_file(CONSOLE, export.data, "台账.xlsx")
    assert (result.cases, result.cases_unchanged) == (0, 2)
    async with services.db.read() as tx:
        assert len(await tx.cases.all()) == 2 and await tx.events.count() == events + 1
