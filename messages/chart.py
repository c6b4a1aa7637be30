"""The weekly chart the 纪委 summary comes with: item status by duty (四责) and by unit.

`ChartData` is what the summary stores in its outbox row (`to_payload` / `from_payload`);
`render_chart` draws it at send time as a PNG. Rendering blocks for a fraction of a second
and holds the interpreter, so the bot runs it in a child process (bot/offload.py); it uses
matplotlib's object API with the Agg canvas only, never pyplot or the global rcParams, so
it is safe in threads too.

Chinese labels need a CJK font. Without one `render_chart` returns None (the summary goes
out as text alone) and logs once per process how to install one: a chart of boxes is worse
than no chart.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import threading
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.domain.display import columns

log = logging.getLogger("dutybot.chart")

FONT_ENV = "DUTYBOT_CHART_FONT"
# families that cover simplified Chinese, best first
CJK_FAMILIES = (
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
    "Source Han Sans SC", "Source Han Sans CN", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Noto Sans CJK JP", "Noto Sans CJK TC", "Droid Sans Fallback", "AR PL UMing CN",
)
SIZE = (800, 750)  # pixels: the two plots, the trend below them
MAX_UNITS = 12  # rows in the by-unit plot; the rest are summed into one row
LABEL_WIDTH = 16  # display columns (a Chinese character takes two) before a label is cut
# (field, legend text, colour), in the order the bars stack
STATUSES = (
    ("done", "已完成", "#3a9d5d"),
    ("on_track", "正常推进", "#7f9bb5"),
    ("due_soon", "7天内到期", "#f0a030"),
    ("overdue", "已逾期", "#d64541"),
)
_PROBE = "四责协同已完成逾期单位…0123456789"  # characters a usable font must have


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of a plot: how many items under `label` are in each status."""

    label: str
    done: int = 0
    on_track: int = 0
    due_soon: int = 0
    overdue: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.label, str):
            raise ValueError(f"a bar's label must be text, not {self.label!r}")
        for name, _, _ in STATUSES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a count, not {value!r}")

    @property
    def total(self) -> int:
        return self.done + self.on_track + self.due_soon + self.overdue

    def counts(self) -> list[int]:
        return [getattr(self, name) for name, _, _ in STATUSES]


@dataclass(frozen=True, slots=True)
class Point:
    """One week of the trend: its label (e.g. "11/29") and the on-time rate then (None:
    nothing had fallen due yet)."""

    label: str
    rate: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.label, str):
            raise ValueError(f"a point's label must be text, not {self.label!r}")
        if self.rate is not None and (isinstance(self.rate, bool)
                                      or not isinstance(self.rate, (int, float))
                                      or not 0 <= self.rate <= 1):
            raise ValueError(f"a rate must be from 0 to 1, not {self.rate!r}")


@dataclass(frozen=True, slots=True)
class ChartData:
    """The chart's input: a title and the rows of its two plots, in the order shown; the
    figures that matter beside the counts (the on-time rate, 整改, 约谈: one short line
    each) and the trend of the on-time rate, oldest week first."""

    title: str
    by_duty: list[Bar]
    by_unit: list[Bar]
    facts: list[str] = field(default_factory=list)
    trend: list[Point] = field(default_factory=list)


def to_payload(data: ChartData) -> dict[str, Any]:
    """ChartData as JSON-safe plain data, for an outbox row."""
    return {"title": data.title,
            "by_duty": [asdict(bar) for bar in data.by_duty],
            "by_unit": [asdict(bar) for bar in data.by_unit],
            "facts": list(data.facts),
            "trend": [asdict(point) for point in data.trend]}


def from_payload(payload: dict[str, Any]) -> ChartData:
    """The ChartData `to_payload` stored. Raises ValueError on anything else."""
    try:
        title = payload["title"]
        rows = {key: [_bar(row) for row in payload[key]] for key in ("by_duty", "by_unit")}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a chart payload: {exc!r}") from exc
    if not isinstance(title, str):
        raise ValueError(f"a chart's title must be text, not {title!r}")
    facts = payload.get("facts", [])
    if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
        raise ValueError(f"a chart's facts must be lines of text, not {facts!r}")
    try:
        trend = [Point(**point) for point in payload.get("trend", [])]
    except TypeError as exc:
        raise ValueError(f"not a chart's trend: {exc!r}") from exc
    return ChartData(title, rows["by_duty"], rows["by_unit"], facts, trend)


def _bar(row: dict[str, Any]) -> Bar:
    names = {f.name for f in fields(Bar)}
    unknown = set(row) - names
    if unknown:
        raise ValueError(f"unknown bar fields: {sorted(unknown)}")
    return Bar(**row)


# -- fonts ---------------------------------------------------------------------------------


def _has_cjk(path: str) -> bool:
    """Whether the font file opens and has Chinese glyphs."""
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(char)) for char in _PROBE)


@lru_cache(maxsize=1)
def _discover() -> str | None:
    """A CJK font file on this machine: a known family matplotlib knows, else any font
    fontconfig lists for Chinese. Looked up once per process."""
    from matplotlib import font_manager

    by_name: dict[str, list[str]] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name.lower(), []).append(entry.fname)
    for family in CJK_FAMILIES:
        for path in by_name.get(family.lower(), []):
            if _has_cjk(path):
                return path
    try:  # fonts installed after matplotlib built its font cache
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True,
                                text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths = sorted({line.split(":", 1)[0].strip() for line in listed.splitlines()} - {""})
    # prefer a family we know (the lists name files, not families), then whatever works
    known = [p for p in paths if any(k in p.lower() for k in ("wqy", "noto", "sourcehan"))]
    for path in known + [p for p in paths if p not in known]:
        if _has_cjk(path):
            return path
    return None


# matplotlib is not thread-safe as a whole (font caches, text layout): one render at a time
_render_lock = threading.Lock()
_warned: set[str] = set()  # what this process has already warned about
_warned_lock = threading.Lock()


def _warn_once(key: str, message: str, *args: object) -> None:
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(message, *args)


def find_cjk_font(font_path: str | os.PathLike[str] | None = None) -> str | None:
    """The CJK font file the chart uses: `font_path`, else $DUTYBOT_CHART_FONT, else one
    found on the machine; None if there is none. An override that is missing or has no
    Chinese glyphs is reported (once) and passed over."""
    override = font_path if font_path is not None else os.environ.get(FONT_ENV) or None
    if override is not None:
        path = str(Path(override).expanduser())
        if _has_cjk(path):
            return path
        _warn_once(f"override:{path}", "chart font %s is missing or has no Chinese glyphs; "
                   "looking for another", path)
    return _discover()


# -- drawing -------------------------------------------------------------------------------


def shorten(label: str, width: int = LABEL_WIDTH) -> str:
    """`label` cut to `width` display columns, ending in "…" when cut."""
    label = " ".join(label.split())
    if sum(columns(c) for c in label) <= width:
        return label
    kept, used = [], 0
    for char in label:
        if used + columns(char) > width - 2:  # leave room for the (double-width) "…"
            break
        kept.append(char)
        used += columns(char)
    return "".join(kept) + "…"


def _fit(label: str, font: Any, size: float, limit: float) -> str:
    """`label` cut (with "…") until, in `font` at `size` points and 100 dpi, it is at most
    `limit` pixels wide: wide Latin letters take more room than columns suggest."""
    def width(text: str) -> float:
        font.set_size(size, 100)
        font.set_text(text)
        return font.get_width_height()[0] / 64

    if width(label) <= limit:
        return label
    text = label.removesuffix("…")
    while text and width(text + "…") > limit:
        text = text[:-1]
    return text + "…"


def unit_rows(bars: list[Bar], limit: int = MAX_UNITS) -> list[Bar]:
    """At most `limit` rows: if there are more units, the worst (most overdue, then due
    soon, then most items) keep their rows, in the order given, and the rest are summed
    into a last row "其余 N 个单位", so the plot still counts every item."""
    if len(bars) <= limit:
        return list(bars)
    ranked = sorted(range(len(bars)),
                    key=lambda i: (-bars[i].overdue, -bars[i].due_soon, -bars[i].total, i))
    keep = set(ranked[:limit - 1])
    rest = [bar for i, bar in enumerate(bars) if i not in keep]
    summed = Bar(f"其余 {len(rest)} 个单位",
                 *(sum(getattr(bar, name) for bar in rest) for name, _, _ in STATUSES))
    return [bar for i, bar in enumerate(bars) if i in keep] + [summed]


def render_chart(data: ChartData, font_path: str | os.PathLike[str] | None = None,
                 ) -> bytes | None:
    """The chart as PNG bytes (SIZE), or None when no CJK font is available (logged once
    per process). Blocking: run it off the event loop. Labels are drawn literally (no
    mathtext)."""
    font = find_cjk_font(font_path)
    if font is None:
        _warn_once("no-font", "no CJK font found, so the weekly summary goes without its chart "
                   "(Chinese labels would be boxes): install one, e.g. `apt-get install "
                   "fonts-wqy-microhei` or `apt-get install fonts-noto-cjk`, or set %s to a "
                   "font file", FONT_ENV)
        return None
    with _render_lock:
        return _draw(data, font)


def _draw(data: ChartData, font: str) -> bytes:
    # imported here: loading matplotlib (and its font cache) is for the first chart drawn,
    # not for every process that imports messages/
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ft2font import FT2Font
    from matplotlib.patches import Patch

    def props(size: float, weight: str = "normal") -> FontProperties:
        return FontProperties(fname=font, size=size, weight=weight)

    measure = FT2Font(font)
    duty, units = list(data.by_duty), unit_rows(list(data.by_unit))
    labels = [[_fit(shorten(bar.label), measure, 9, 112) for bar in bars]
              for bars in (duty, units)]
    # fixed margins, not a layout engine (which draws everything twice): labels are cut
    # to LABEL_WIDTH columns, which fit in the left margin
    figure = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100, facecolor="white")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(3, 1, left=0.16, right=0.95, top=0.80, bottom=0.05,
                               hspace=0.42, height_ratios=[max(len(duty), 1) + 1.5,
                                                           max(len(units), 1) + 1.5, 4])
    for spec, bars, names, heading in ((grid[0], duty, labels[0], "按四责"),
                                       (grid[1], units, labels[1], "按单位")):
        _plot(figure.add_subplot(spec), bars, names, heading, props)
    _trend(figure.add_subplot(grid[2]), data.trend, props)
    title = _fit(" ".join(data.title.split()), measure, 14, 760)
    figure.suptitle(title, y=0.98, fontproperties=props(14, "bold"), parse_math=False)
    facts = _fit("　".join(" ".join(f.split()) for f in data.facts), measure, 10, 760)
    if facts:
        figure.text(0.5, 0.925, facts, ha="center", va="center", fontproperties=props(10),
                    color="#333333", parse_math=False)
    handles = [Patch(facecolor=colour, label=text) for _, text, colour in STATUSES]
    figure.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.905),
                  ncols=len(STATUSES), prop=props(10), frameon=False)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100, metadata={"Software": None})
    return out.getvalue()


def _trend(ax: Any, points: list[Point], props: Any) -> None:
    """The on-time rate week by week, in percent; a week with nothing due is a gap."""
    ax.set_title("按期完成率走势", fontproperties=props(11), loc="left", parse_math=False)
    ax.spines[["top", "right"]].set_visible(False)
    positions = list(range(len(points)))
    values = [float("nan") if p.rate is None else p.rate * 100 for p in points]
    if not points or all(p.rate is None for p in points):
        ax.text(0.5, 0.5, "暂无已到期事项", transform=ax.transAxes, ha="center",
                va="center", fontproperties=props(10), color="#777777", parse_math=False)
    else:
        ax.plot(positions, values, color="#3a6ea5", marker="o", linewidth=1.6, markersize=4)
        for x, value in zip(positions, values, strict=True):
            if value == value:  # not a gap
                ax.text(x, value + 6, f"{value:.0f}%", ha="center", va="bottom",
                        fontproperties=props(8), color="#333333", parse_math=False)
    ax.set_xticks(positions, [p.label for p in points], fontproperties=props(8),
                  parse_math=False)
    ax.set_ylim(0, 118)
    ax.set_yticks([0, 50, 100], ["0%", "50%", "100%"], fontproperties=props(8),
                  parse_math=False)
    ax.set_xlim(-0.5, max(len(points), 1) - 0.5)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)


def _plot(ax: Any, bars: list[Bar], labels: list[str], heading: str, props: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(heading, fontproperties=props(11), loc="left", parse_math=False)
    ax.spines[["top", "right"]].set_visible(False)
    positions = list(range(len(bars)))
    if not bars or not any(bar.total for bar in bars):
        ax.text(0.5, 0.5, "暂无事项", transform=ax.transAxes, ha="center", va="center",
                fontproperties=props(10), color="#777777", parse_math=False)
    biggest = max([bar.total for bar in bars] + [1])
    left = [0] * len(bars)
    for index, (name, _, colour) in enumerate(STATUSES):
        counts = [getattr(bar, name) for bar in bars]
        ax.barh(positions, counts, left=left, color=colour, height=0.62, edgecolor="white",
                linewidth=0.6)
        for y, (start, count) in enumerate(zip(left, counts, strict=True)):
            if count and count >= biggest * 0.06:  # the count fits on its segment
                ax.text(start + count / 2, y, str(count), ha="center", va="center",
                        fontproperties=props(8),
                        color="black" if index == 2 else "white", parse_math=False)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    for y, total in enumerate(left):
        if total:
            ax.text(total + biggest * 0.015, y, str(total), ha="left", va="center",
                    fontproperties=props(9, "bold"), color="#333333", parse_math=False)
    ax.set_yticks(positions, labels,
                  fontproperties=props(9), parse_math=False)
    ax.set_ylim(len(bars) - 0.5 if bars else 0.5, -0.5)  # first row on top
    ax.set_xlim(0, biggest * 1.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
