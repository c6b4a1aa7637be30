"""The weekly chart: a small PNG with Chinese labels, or None (logged once) without a CJK font."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
import warnings
from pathlib import Path

import matplotlib
import pytest
from PIL import Image

from messages import chart
from messages.chart import (
    FONT_ENV,
    MAX_UNITS,
    Bar,
    ChartData,
    find_cjk_font,
    from_payload,
    render_chart,
    shorten,
    to_payload,
    unit_rows,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NEEDS_FONT = pytest.mark.skipif(
    find_cjk_font() is None,
    reason="no CJK font on this machine (install fonts-wqy-microhei or fonts-noto-cjk)")


def weekly() -> ChartData:
    return ChartData(
        "2026年第48周 履责事项状态（截至11月30日）",
        [Bar("主体责任", 12, 20, 5, 3), Bar("第一责任", 4, 6, 1, 0),
         Bar("一岗双责", 10, 30, 4, 6), Bar("监督责任", 3, 5, 0, 1)],
        [Bar("某局党委", 2, 3, 1, 0), Bar("财务科", 5, 8, 2, 4),
         Bar("财务科党支部第一党小组宣传委员会", 1, 2, 0, 1), Bar("项目科", 0, 0, 0, 2)],
    )


def image_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return image.size


@pytest.fixture
def fresh_warnings(monkeypatch) -> None:
    """This process has warned about nothing yet."""
    monkeypatch.setattr(chart, "_warned", set())


@NEEDS_FONT
def test_renders_a_small_png() -> None:
    png = render_chart(weekly())
    assert png is not None
    assert image_size(png) == chart.SIZE
    assert len(png) < 200_000


@NEEDS_FONT
def test_chinese_labels_have_their_glyphs() -> None:
    """matplotlib warns "Glyph … missing from font(s)" for every character it draws as a
    box: with a CJK font there must be none (the "…" of a shortened name included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = render_chart(weekly())
    assert png is not None


@NEEDS_FONT
def test_nothing_to_count_still_renders() -> None:
    zeros = ChartData("本周无事项", [Bar("主体责任"), Bar("监督责任")], [Bar("财务科")])
    assert image_size(render_chart(zeros) or b"") == chart.SIZE
    nothing = ChartData("", [], [])
    assert image_size(render_chart(nothing) or b"") == chart.SIZE


@NEEDS_FONT
def test_hostile_labels_render_literally() -> None:
    """`$…$` would be mathtext (and `$\\frac{$` a parse error) if matplotlib read it."""
    labels = ["<b>财务科</b>", "A & B", "$x$", r"$\frac{$", r"\$5", "$", "%s {0}", "\n换\t行 "]
    data = ChartData(r"<i>周报</i> & $\alpha$ {title}", [Bar(label, 1, 1, 1, 1) for label in labels[:4]],
                     [Bar(label, 0, 2, 0, 1) for label in labels])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = render_chart(data)
    assert png is not None and image_size(png) == chart.SIZE


@NEEDS_FONT
def test_a_render_is_quick() -> None:
    render_chart(weekly())  # the first one loads matplotlib and the font
    many = ChartData("单位多", weekly().by_duty,
                     [Bar(f"第{i}党支部", i % 3, i, i % 4, i % 5) for i in range(30)])
    started = time.perf_counter()
    render_chart(many)
    assert time.perf_counter() - started < 1.0


@NEEDS_FONT
async def test_renders_in_threads_side_by_side() -> None:
    data = [weekly(), ChartData("另一张", [Bar("监督责任", 1, 0, 0, 0)], [])]
    pngs = await asyncio.gather(*(asyncio.to_thread(render_chart, d) for d in data * 2))
    assert pngs[0] == pngs[2] and pngs[1] == pngs[3] and pngs[0] != pngs[1]
    assert all(image_size(png or b"") == chart.SIZE for png in pngs)


def test_without_a_cjk_font_no_chart_and_one_warning(monkeypatch, caplog, fresh_warnings) -> None:
    monkeypatch.delenv(FONT_ENV, raising=False)
    monkeypatch.setattr(chart, "_discover", lambda: None)
    with caplog.at_level(logging.WARNING, logger="dutybot.chart"):
        assert render_chart(weekly()) is None
        assert render_chart(weekly()) is None
    records = [r for r in caplog.records if r.name == "dutybot.chart"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "apt-get install fonts-wqy-microhei" in message
    assert "fonts-noto-cjk" in message and FONT_ENV in message


@NEEDS_FONT
def test_font_override(monkeypatch, caplog, tmp_path, fresh_warnings) -> None:
    real = find_cjk_font()
    assert real is not None
    monkeypatch.setenv(FONT_ENV, real)
    assert find_cjk_font() == real
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"not a font")
    monkeypatch.setenv(FONT_ENV, str(not_a_font))
    latin_only = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    with caplog.at_level(logging.WARNING, logger="dutybot.chart"):
        assert find_cjk_font() == real  # passed over, with a word in the log
        assert find_cjk_font() == real  # (once)
        assert find_cjk_font(tmp_path / "missing.ttf") == real
        assert find_cjk_font(latin_only) == real  # a font, but no Chinese in it
        assert render_chart(weekly()) is not None
    messages = [r.getMessage() for r in caplog.records if r.name == "dutybot.chart"]
    assert len(messages) == 3
    assert str(not_a_font) in messages[0] and "missing.ttf" in messages[1]
    assert "DejaVuSans.ttf" in messages[2]


def test_payload_round_trip() -> None:
    data = weekly()
    payload = json.loads(json.dumps(to_payload(data), ensure_ascii=False))
    assert from_payload(payload) == data
    assert payload["by_duty"][0] == {"label": "主体责任", "done": 12, "on_track": 20,
                                     "due_soon": 5, "overdue": 3}
    assert from_payload(to_payload(ChartData("", [], []))) == ChartData("", [], [])


@pytest.mark.parametrize("payload", [
    {},
    {"title": "t", "by_duty": []},
    {"title": 3, "by_duty": [], "by_unit": []},
    {"title": "t", "by_duty": [{"done": 1}], "by_unit": []},
    {"title": "t", "by_duty": [{"label": "a", "done": -1}], "by_unit": []},
    {"title": "t", "by_duty": [{"label": "a", "done": True}], "by_unit": []},
    {"title": "t", "by_duty": [{"label": "a", "done": 1.5}], "by_unit": []},
    {"title": "t", "by_duty": [{"label": "a", "late": 1}], "by_unit": []},
    {"title": "t", "by_duty": ["a"], "by_unit": []},
    {"title": "t", "by_duty": [], "by_unit": None},
])
def test_payload_refuses_what_it_did_not_write(payload) -> None:
    with pytest.raises(ValueError):
        from_payload(payload)


def test_at_most_twelve_unit_rows_and_every_item_counted() -> None:
    bars = [Bar(f"单位{i}", done=i) for i in range(20)]
    bars[17] = Bar("逾期最多", 0, 0, 0, 9)
    bars[3] = Bar("快到期", 0, 0, 5, 0)
    rows = unit_rows(bars)
    assert len(rows) == MAX_UNITS
    assert rows[-1].label == "其余 9 个单位"
    assert sum(r.total for r in rows) == sum(b.total for b in bars)
    labels = [r.label for r in rows]
    assert "逾期最多" in labels and "快到期" in labels
    assert labels.index("快到期") < labels.index("逾期最多")  # the order given is kept
    assert unit_rows(bars[:12]) == bars[:12]


def test_long_names_are_shortened() -> None:
    assert shorten("财务科") == "财务科"
    assert shorten("财务科党支部第一党小组宣传委员会") == "财务科党支部第…"
    assert shorten("  财务科\n党支部 ") == "财务科 党支部"
    assert shorten("a" * 16) == "a" * 16
    assert shorten("a" * 17) == "a" * 14 + "…"


def test_the_trend_and_the_figures_travel_in_the_payload() -> None:
    data = ChartData("四责协同周报 上周 11月23日—11月29日", weekly().by_duty, [],
                     facts=["按期完成率 62%", "整改 未销号 3（逾期 1）· 待验收 2"],
                     trend=[chart.Point("11/22", None), chart.Point("11/29", 0.62)])
    assert from_payload(json.loads(json.dumps(to_payload(data)))) == data
    with pytest.raises(ValueError):
        from_payload({**to_payload(data), "trend": [{"label": "11/29", "rate": 1.5}]})
    with pytest.raises(ValueError):
        from_payload({**to_payload(data), "facts": [3]})


@NEEDS_FONT
def test_the_chart_draws_the_trend_and_the_figures(tmp_path) -> None:
    data = ChartData("四责协同周报 上周 11月23日—11月29日", weekly().by_duty,
                     weekly().by_unit,
                     facts=["按期完成率 62%", "整改 未销号 3（逾期 1）· 待验收 2",
                            "约谈 已谈 4/应谈 10"],
                     trend=[chart.Point("10/11", None)]
                     + [chart.Point(f"11/{d}", 0.5 + d / 100) for d in (1, 8, 15, 22, 29)])
    png = render_chart(data)
    assert png is not None and image_size(png) == chart.SIZE
    assert png != render_chart(ChartData(data.title, data.by_duty, data.by_unit))
    (tmp_path / "weekly.png").write_bytes(png)
