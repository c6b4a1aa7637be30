"""The demo is what a new operator sees first: it must run offline and show the story."""

from __future__ import annotations

import openpyxl

from bot.demo import run_demo
from messages.chart import find_cjk_font


async def test_demo_plays_through_and_shows_each_chat(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "demo.txt"
    assert await run_demo(str(out)) == 0
    text = out.read_text(encoding="utf-8")
    # each button tap is shown as the user's action, where it happened, with its toast
    assert "👆 郑晓 点了［纪委委员］\n👆 郑晓 点了［完成］" in text
    assert "👆 李明 点了［已完成］　💬 G0036 已提交纪委验收" in text
    assert "👆 刘洋 点了［销号］　💬 " in text
    assert "👆 刘洋 点了［📄 详细周报（四责、各单位、全部逾期、排名）］" in text
    assert "══════ 按钮提示（toast） ══════" not in text
    for expected in (
        "══════ 李明 的私聊 ══════",
        "绑定成功！欢迎您，李明",
        "【问题清单】",
        "↳ 上级问题",
        "已新建措施清单事项",
        "您还没有绑定身份",
        "这个邀请码无效",
        "没有 /统计 这个命令",
        "本群尚未登记",
        "已登记为纪委群",
        "找不到单位“不存在的科室”",
        # the simulated fortnight
        "模拟两周",
        "今日提醒",
        "逾期事项通报",
        "已确认收到",
        "已登记 2026-11-20（周五） 召开的民主生活会",
        "2026-11-28（周六）　（非工作日或无到期事项，不发送）",
        "履责事项 · 截止",
        "民主生活会情况报上级纪委（11月20日召开）",
        # one-tap answers, a note by reply, a 整改 through to 销号
        "已标记为“进行中”",
        "📝 已记入",
        "整改通知",
        "整改待验收",
        "已通过验收并销号",
        # the 纪委's weekly picture: pushed on Mondays, and asked for at the end
        "📊 四责协同周报",
        "十、按期完成与提醒响应",
    ):
        assert expected in text, expected
    # the 纪委's 企业微信 group, through its group robot: the Monday summary as it reads there
    wecom = text.split("══════ 企业微信 · 纪委工作群（群机器人推送） ══════")[1].split("══════")[0]
    assert "🤖 📊 四责协同周报 · 上周 11月16日—11月22日" in wecom
    assert "🤖 📊 四责协同周报 · 上周 11月23日—11月29日" in wecom
    assert "🔴 逾期事项通报" in wecom and "**" not in wecom
    assert "私聊机器人发送 /周报 看详细周报" in wecom and "发送 /导出 取完整台账" in wecom
    assert "　📨 企业微信·纪委工作群：📊 四责协同周报 · 上周 11月23日—11月29日" in text
    # a 问责 case with 一案双查, confidential: the examined 书记 does not see it
    assert "已登记问责案件 A0001，并按一案双查开启主体责任和监督责任倒查" in text
    assert "没有您可以查看的问责案件" in text
    assert "监督责任倒查：孙丽负责" in text  # not 刘洋, whose own responsibility it examines
    # the quarter's end: the 纪委书记's drafts come from the register, in private only
    quarter = text.split("季度末：问责台账自动生成报告初稿")[1]
    assert "　📨 刘洋：📝 责任追究情况报告（草稿）（L" in quarter
    assert "　📨 刘洋：📝 典型案例通报（草稿）（L" in quarter
    assert "1. A0001 吴敏（机关第二党支部）" in text  # marked 典型案例 in private chat
    group = text.split("══════ 局纪委工作群 ══════")[1].split("══════")[0]
    assert "草稿" not in group and "草稿" not in wecom and "A0001" not in group  # never a group
    draft = tmp_path / "demo-output" / "责任追究情况报告草稿_2026-12-31.xlsx"
    assert openpyxl.load_workbook(draft).sheetnames
    # one 责任书 from 签字背书 to 对账: signed, reconciled, confirmed, carried over
    letters = text.split("══════ 责任书：从签字背书到年终对账（模拟 2027 年） ══════")[1]
    assert "✅ 已签字背书：2027年度党风廉政建设责任书（2 项）" in letters
    assert "📎 2027年度党风廉政建设责任书_李明.xlsx" in letters
    assert "未完成，原因：车辆处置需上级审批" in letters
    assert "📎 2027年度对账表_李明.xlsx" in letters
    assert "🧾 2027年度对账表" in letters
    assert "出了点问题" not in text  # no handler crashed along the way
    assert "══════ 局纪委工作群 ══════" in capsys.readouterr().out
    ledger = tmp_path / "demo-output" / "四责协同台账_2026-12-06.xlsx"
    assert f"📎 {ledger.name}" in text and f"📄 {ledger.relative_to(tmp_path)}" in text
    book = openpyxl.load_workbook(ledger)
    assert book.sheetnames[:3] == ["单位", "人员", "清单"] and book["清单"].max_row > 1
    if find_cjk_font() is not None:  # the chart needs a CJK font (CI installs one)
        assert "🖼 📊" in text
        chart = tmp_path / "demo-output" / "周报图表.png"
        assert chart.read_bytes().startswith(b"\x89PNG") and chart.name in text
