"""The 纪委 看板's web server (issue 24 §3): aiohttp on the running bot's event loop,
server-rendered jinja2 pages, nothing fetched from elsewhere (works offline).

Routes, under the base URL's path (DUTYBOT_BOARD_URL, e.g. https://x.gov.cn/board):
- GET  /login/<token>  the one "进入看板" button; reads the link, changes nothing (link
                       previews and scanners fetch a GET first);
- POST /login/<token>  uses the link up, sets the session cookie, 303 to the board;
- GET  /               the board, in the viewer's scope, rights read again, the view logged;
- POST /logout         ends the session.
A refused link or cookie gets a Chinese page with 403; a Host header that is not the
board's address 421 (behind a reverse proxy every client is 127.0.0.1, so the address
proves nothing; the Host header is what the proxy passes on). No access log: a token is
part of a login path, and tokens never reach a log. Our own log lines name the status
and the reason only.
"""

from __future__ import annotations

import logging
from importlib import resources
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from bot.board import view
from bot.config import Settings
from bot.domain.board import LOGIN_PATH, SESSION_TTL, Denied
from bot.services.board import BoardDenied, BoardService
from messages.board import denied_page, not_found, not_logged_in, page_words, wrong_host

log = logging.getLogger("dutybot.board")

COOKIE = "dutybot_board"
#: How the server is run: no access log (a login path carries its token)
RUNNER = {"access_log": None}
MAX_BODY = 16 * 1024  # the only form posts nothing
HEADERS = {
    "Cache-Control": "no-store",
    # a login path never travels to another site in a Referer (and a same-site POST keeps
    # its Origin, which the server checks)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                "img-src data:; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'"),
}


def templates() -> jinja2.Environment:
    folder = resources.files("bot.board") / "templates"
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (folder / name).read_text(encoding="utf-8")),
        autoescape=True, undefined=jinja2.StrictUndefined)


class BoardServer:
    def __init__(self, board: BoardService, settings: Settings, host: str, port: int) -> None:
        self.board = board
        self.settings = settings
        self.host = host
        self.port = port  # 0: any free port; the one bound is here after start()
        self.prefix = settings.board_path  # '' or '/board'
        self.hosts = settings.board_hosts
        self.secure = settings.board_secure
        self.env = templates()
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_BODY)
        p = self.prefix
        app.router.add_get(p + "/" if p else "/", self._board)
        if p:
            app.router.add_get(p, self._board)
        app.router.add_get(p + LOGIN_PATH + "{token}", self._login_page)
        app.router.add_post(p + LOGIN_PATH + "{token}", self._login)
        app.router.add_post(p + "/logout", self._logout)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), **RUNNER)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # the port bound (0: any)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("看板 listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the pages ------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        host = (request.headers.get("Host") or "").strip().lower()
        if host not in self.hosts:
            log.warning("board: answered 421 to %s %s: Host is not the board's address",
                        request.method, request.remote)
            return web.Response(status=421, text=wrong_host(), headers=HEADERS)
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            return web.Response(status=404, text=not_found(), headers=HEADERS)
        except web.HTTPMethodNotAllowed:
            return web.Response(status=405, text=not_found(), headers=HEADERS)
        response.headers.update(HEADERS)
        return response

    def _render(self, template: str, status: int = 200, **values: object) -> web.Response:
        html = self.env.get_template(template).render(w=page_words(), **values)
        return web.Response(status=status, text=html, content_type="text/html",
                            charset="utf-8")

    def _refused(self, request: web.Request, reason: Denied) -> web.Response:
        log.info("board: answered 403 to %s %s: %s", request.method,
                 request.match_info.route.resource.canonical
                 if request.match_info.route.resource else "?", reason.value)
        title, text = denied_page(reason)
        return self._render("message.html", 403, title=title, text=text)

    async def _login_page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            person = await self.board.check_link(token)
        except BoardDenied as denied:
            return self._refused(request, denied.reason)
        return self._render("enter.html", title=page_words()["board_title"], name=person.name,
                            action=self.prefix + LOGIN_PATH + token)

    def _foreign(self, request: web.Request) -> bool:
        """A POST sent by another site's page (its Origin names that site): refused, so
        no page elsewhere can log a browser in with a link of its own choosing."""
        origin = request.headers.get("Origin")
        if not origin or origin == "null":
            return False
        return urlsplit(origin).netloc.lower() not in self.hosts

    async def _login(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self._foreign(request):
            return self._refused(request, Denied.UNKNOWN)
        try:
            opened = await self.board.enter(token)
        except BoardDenied as denied:
            return self._refused(request, denied.reason)
        response = web.Response(status=303, headers={"Location": self.prefix + "/"})
        response.set_cookie(COOKIE, opened.token, max_age=int(SESSION_TTL.total_seconds()),
                            path=self.prefix + "/", httponly=True, samesite="Lax",
                            secure=self.secure)
        log.info("board: %s logged in", opened.person.id)
        return response

    async def _board(self, request: web.Request) -> web.Response:
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            title, text = not_logged_in()
            return self._render("message.html", 403, title=title, text=text)
        try:
            board = await self.board.board(cookie, request.path)
        except BoardDenied as denied:
            return self._refused(request, denied.reason)
        words = page_words()
        return self._render("board.html", title=words["board_title"],
                            p=view.page(board, words["levels"].split("|")),
                            logout=self.prefix + "/logout")

    async def _logout(self, request: web.Request) -> web.Response:
        if self._foreign(request):
            return self._refused(request, Denied.UNKNOWN)
        await self.board.logout(request.cookies.get(COOKIE))
        title, text = not_logged_in()
        response = self._render("message.html", title=title, text=text)
        response.del_cookie(COOKIE, path=self.prefix + "/")
        return response
