"""messages/callbacks.py: every button the bot makes reads back, and nothing else does
(issue 20, item 4). The end-to-end side is tests/test_property_inputs.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model import ItemStatus
from bot.services.errors import StaleButton
from bot.services.flows import FlowPrompt, FlowState, StepKind
from bot.services.rectifications import FixFilter
from messages import callbacks as cb
from messages import keyboards, replies

BIG = 2**63 - 1


def datas(markup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def emitted() -> list[str]:
    """What the keyboards builders put on buttons, for every action, surface and id edge."""
    found: list[str] = []
    for item_id in (1, 42, BIG):
        for status in ItemStatus:
            for surface in (replies.ROWS, replies.CARD, cb.list_surface(0),
                            cb.list_surface(9999)):
                for own in (True, False):
                    found += [b.callback_data for b in replies.item_row(
                        item_id, "C0001", status, surface, own=own, is_talk=not own)]
        found += datas(replies.extension_keyboard(item_id))
        found += datas(replies.withdraw_keyboard(item_id))
        found += datas(replies.verify_keyboard(item_id))
        found += [f"{cb.EXTENSION}:{act}:{item_id}:{replies.PENDING}"
                  for act in (cb.APPROVE, cb.REJECT)]  # as replies.pending_keyboard makes
        found += [f"{cb.LIST_PAGE}:{item_id}:{page}" for page in (0, 1, 9999)]  # list_pager
        found += [f"{cb.FIX_FILTER}:{f.value}:{viewer}" for f in FixFilter
                  for viewer in (0, item_id)]  # messages/work.py fixes_keyboard
    options = [[str(n), f"选项{n}"] for n in range(24)]
    for kind in StepKind:
        state = FlowState(flow="new_item", step="kind", options=options, nonce="0a1b2c3d")
        found += datas(keyboards.flow_keyboard(FlowPrompt(state, kind, True, False)))
    return [*found, cb.TALK_NEW]


PARSERS = {cb.FLOW: cb.parse_flow, cb.LIST_PAGE: cb.parse_page, cb.FIX_FILTER: cb.parse_fix_filter,
           cb.ITEM: cb.parse_item, cb.EXTENSION: cb.parse_extension, cb.CHECK: cb.parse_check,
           "tk": cb.parse_talk_new}


def parse(data: str):
    return PARSERS[data.split(":", 1)[0]](data)


@pytest.mark.parametrize("data", sorted(set(emitted())))
def test_every_button_the_bot_makes_reads_back(data):
    assert len(data.encode()) <= cb.DATA_MAX
    parse(data)  # does not raise


def test_what_a_button_says_is_what_it_was_made_with():
    assert cb.parse_item(f"it:ext:{BIG}:l12") == cb.ItemPress("ext", BIG, "l12")
    assert cb.surface_page("l12") == 12 and cb.surface_page("d") is None
    assert cb.parse_extension("ex:no:5:p") == cb.ExtensionPress("no", 5, "p")
    assert cb.parse_extension("ex:wd:5") == cb.ExtensionPress("wd", 5, "d")
    assert cb.parse_check("zg:back:7") == cb.CheckPress("back", 7)
    assert cb.parse_fix_filter("zl:pending:0") == cb.FilterPress(FixFilter.PENDING, 0)
    assert cb.parse_page("lp:3:2") == cb.PagePress(3, 2)
    assert cb.parse_flow("f:0a1b2c3d:skip") == cb.FlowPress("0a1b2c3d", "skip")
    assert cb.item_of("zg:ok:9") == 9 and cb.item_of("ex:ok:9") is None


@pytest.mark.parametrize("data", [
    # another field count
    "it:go:3", "it:go:3:d:d", "ex:wd:5:p", "ex:ok", "zg:ok:7:d", "lp:3", "lp:3:0:0", "zl:all",
    "tk:new:1", "tk", "f:0a1b2c3d", "f:0a1b2c3d:1:2",
    # ids and pages that are not ASCII digits, or not as the bot writes them
    "it:go:٣:d", "it:go:³:d", "it:go:３:d", "it:go:𝟛:d", "it:go:03:d", "it:go:0:d",
    "it:go:+3:d", "it:go:-3:d", "it:go: 3:d", "it:go:3 :d", "it:go:1_0:d", "it:go:3.0:d",
    f"it:go:{BIG + 1}:d", "it:go:" + "9" * 40 + ":d", "it:go:3:l٣", "it:go:3:l01",
    "it:go:3:l10000", "it:go:3:p", "lp:3:٢", "lp:0:0", "zl:all:٣", "zl:all:-1", "ex:ok:٥",
    "zg:ok:٧", "f:0a1b2c3d:٣", "f:0a1b2c3d:01", "f:0a1b2c3d:100", "f:0A1B2C3D:1",
    "f:0a1b2c3:1", "f:0a1b2c3d0:1", "f::1",
    # unknown actions, cases and prefixes
    "it:GO:3:d", "it:close:3:d", "ex:yes:5", "zg:done:7", "zl:mine:4", "f:0a1b2c3d:OK",
    "IT:go:3:d", " it:go:3:d", "it:go:3:d\n", "it:go:3:d\x00", "tk:new\n", "tk:NEW",
    "it\u200b:go:3:d", "", ":", "x" * 65,
])
def test_anything_else_is_a_stale_button(data):
    parser = PARSERS.get(data.split(":", 1)[0].strip().lower().replace("\u200b", ""),
                         cb.parse_item)
    with pytest.raises(StaleButton):
        parser(data)


def written(press) -> str:
    """A parsed press, written the way the keyboards write it."""
    match press:
        case cb.ItemPress(act=act, item_id=item, surface=surface):
            return f"it:{act}:{item}:{surface}"
        case cb.ExtensionPress(act=act, request_id=request, surface=surface):
            return f"ex:{act}:{request}" + (":p" if surface == "p" else "")
        case cb.CheckPress(act=act, item_id=item):
            return f"zg:{act}:{item}"
        case cb.PagePress(owner_id=owner, page=page):
            return f"lp:{owner}:{page}"
        case cb.FilterPress(shown=shown, viewer_id=viewer):
            return f"zl:{shown.value}:{viewer}"
        case cb.FlowPress(nonce=nonce, choice=choice):
            return f"f:{nonce}:{choice}"
    return cb.TALK_NEW


FIELD = st.one_of(st.sampled_from(["1", "0", "01", "٣", "²", "12", "9" * 19, "l0", "l٣", "d",
                                   "c", "p", "ok", "no", "wd", "back", "go", "st", "new",
                                   "all", "0a1b2c3d", "skip", "x", " 1", ""]),
                  st.text(st.characters(exclude_categories=("Cs",)), max_size=4))


@settings(max_examples=400, deadline=None)
@given(prefix=st.sampled_from(sorted(PARSERS)), fields=st.lists(FIELD, max_size=4))
def test_a_parser_either_refuses_or_reads_exactly_what_it_would_write(prefix, fields):
    data = ":".join([prefix, *fields])
    try:
        press = PARSERS[prefix](data)
    except StaleButton:
        return
    assert written(press) == data
