"""The bot's messages as a page shows them: Telegram's HTML parse mode, sanitised.

Only the tags Telegram itself draws pass (b, i, u, s, code, pre, a, tg-spoiler, blockquote),
without attributes except a link's http(s) address; every other tag, attribute or stray
bracket is shown as the text it is. Whatever the bot (or a person quoted in its message)
wrote cannot put markup or script on the page."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from markupsafe import Markup

ALLOWED = frozenset({"b", "i", "u", "s", "code", "pre", "a", "tg-spoiler", "blockquote"})
_LINK_SCHEMES = ("http://", "https://")


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}>"))
            return
        if tag == "a":
            href = next((v for k, v in attrs if k == "href" and v), "")
            if href.lower().startswith(_LINK_SCHEMES):
                self.out.append(f'<a href="{html.escape(href, quote=True)}" '
                                'rel="noopener noreferrer" target="_blank">')
            else:
                self.out.append("<a>")
        else:
            self.out.append(f"<{tag}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(html.escape(self.get_starttag_text() or f"<{tag}/>"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ALLOWED and tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break
            return
        self.out.append(html.escape(f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        self.out.append(html.escape(f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.out.append(html.escape(f"<!{decl}>"))

    def handle_pi(self, data: str) -> None:
        self.out.append(html.escape(f"<?{data}>"))

    def unknown_decl(self, data: str) -> None:
        self.out.append(html.escape(f"<![{data}]>"))

    def result(self) -> str:
        self.close()
        rest = self.rawdata if hasattr(self, "rawdata") else ""
        if rest:  # an unfinished tag at the very end: text
            self.out.append(html.escape(rest))
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        return "".join(self.out)


def telegram_html(text: str | None) -> Markup:
    """A bot message's HTML (parse mode HTML) as safe markup for the page."""
    if not text:
        return Markup("")
    parser = _Sanitiser()
    parser.feed(text)
    return Markup(parser.result())


def plain(text: str | None) -> Markup:
    """What a person typed: text only."""
    return Markup(html.escape(text or "", quote=False))
