"""The studio's web server: one route per tab, a version endpoint for live reload, and start-up
with one-line errors an editor can act on (a busy port, a folder without content).

It binds to 127.0.0.1 unless told otherwise: the studio has no login and is meant for the
editor's own computer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from aiohttp import web

from bot.checks.translations import stale_texts
from bot.studio import layout, pages
from bot.studio.chat import ChatState, step
from bot.studio.coverage import coverage
from bot.studio.facts import fact_rows
from bot.studio.graph import build_graph, to_mermaid
from bot.studio.live import LiveContent

LIVE = web.AppKey("live", LiveContent)
WATCH_SECONDS = 0.5  # how often the content folder is looked at (only file sizes and times)


class StudioError(Exception):
    """A reason the studio cannot start, in one line."""


def build_app(live: LiveContent, watch_seconds: float | None = WATCH_SECONDS) -> web.Application:
    """The studio over ``live``; ``watch_seconds`` None: content is looked at only on demand."""
    app = web.Application()
    app[LIVE] = live
    app.router.add_get("/", home)
    app.router.add_get("/chat", chat)
    app.router.add_get("/map", flow_map)
    app.router.add_get("/problems", problems)
    app.router.add_get("/facts", facts)
    app.router.add_get("/translations", translations)
    app.router.add_get("/graph.mmd", mermaid)
    app.router.add_get("/api/version", version)
    if watch_seconds is not None:
        app.cleanup_ctx.append(_watching(live, watch_seconds))
    return app


def _watching(live: LiveContent, seconds: float):
    async def context(app: web.Application):
        stop = asyncio.Event()
        task = asyncio.create_task(live.watch(seconds, stop))
        yield
        stop.set()
        await task
    return context


def _page(request: web.Request, title: str, tab: str, body: str) -> web.Response:
    loaded = request.app[LIVE].loaded
    return web.Response(text=layout.page(title, tab, body, loaded), content_type="text/html",
                        headers={"Cache-Control": "no-store"})


async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/chat")


async def chat(request: web.Request) -> web.Response:
    live = request.app[LIVE]
    engine = live.engine()
    if engine is None:
        return _page(request, "Chat", "chat", "<h1>Chat</h1>" + pages.NOTHING_TO_SHOW)
    state = ChatState.from_query(request.query)
    body = pages.chat_body(engine, state, step(engine, state), live.bot)
    return _page(request, "Chat", "chat", body)


async def flow_map(request: web.Request) -> web.Response:
    engine = request.app[LIVE].engine()
    if engine is None:
        return _page(request, "Map", "map", "<h1>Map</h1>" + pages.NOTHING_TO_SHOW)
    settings = engine.settings
    lang = request.query.get("lang")
    lang = lang if lang in settings.languages else engine.default_lang
    country = request.query.get("country")
    country = country if country in settings.countries else None
    body = pages.map_body(build_graph(engine.catalog, lang), engine, lang, country)
    return _page(request, "Map", "map", body)


async def mermaid(request: web.Request) -> web.Response:
    engine = request.app[LIVE].engine()
    if engine is None:
        raise web.HTTPServiceUnavailable(text="The content has errors: see /problems")
    return web.Response(text=to_mermaid(build_graph(engine.catalog)), content_type="text/plain")


async def problems(request: web.Request) -> web.Response:
    loaded = request.app[LIVE].loaded
    found = loaded.report.problems if loaded.report else []
    checked = f"{loaded.checked_at:%H:%M:%S}" if loaded.checked_at else "not yet"
    return _page(request, "Problems", "problems", pages.problems_body(found, checked))


def _catalog(request: web.Request):
    """The latest catalog that could be read (it may still have errors), else the last good."""
    live = request.app[LIVE]
    report, engine = live.loaded.report, live.engine()
    if report is not None and report.catalog is not None:
        return report.catalog, engine
    return (engine.catalog if engine else None), engine


async def facts(request: web.Request) -> web.Response:
    catalog, engine = _catalog(request)
    if catalog is None:
        return _page(request, "Facts", "facts", "<h1>Facts</h1>" + pages.NOTHING_TO_SHOW)
    rows = fact_rows(catalog, request.app[LIVE].today())
    body = pages.facts_body(rows, engine, catalog.settings.languages[0])
    return _page(request, "Facts", "facts", body)


async def translations(request: web.Request) -> web.Response:
    catalog, engine = _catalog(request)
    if catalog is None:
        return _page(request, "Translations", "translations",
                     "<h1>Translations</h1>" + pages.NOTHING_TO_SHOW)
    stale = stale_texts(catalog, request.app[LIVE].root)
    body = pages.translations_body(engine, coverage(catalog), stale)
    return _page(request, "Translations", "translations", body)


async def version(request: web.Request) -> web.Response:
    loaded = request.app[LIVE].loaded
    return web.json_response({"version": loaded.version, "errors": len(loaded.fatal)},
                             headers={"Cache-Control": "no-store"})


def check_root(root: Path) -> None:
    if not (root / "flows").is_dir():
        raise StudioError(f"{root} has no flows/ folder: give --root the folder that holds "
                          "flows/ and content/")


async def serve(root: Path, host: str, port: int, bot: str | None = None,
                ready=print) -> None:
    """Run the studio until cancelled; ``ready(url)`` is called once it listens."""
    check_root(root)
    live = LiveContent(root, today=dt.date.today, bot=bot)
    await asyncio.to_thread(live.refresh)
    runner = web.AppRunner(build_app(live), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            raise StudioError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): is "
                              "another program using that port? Choose one with --port") from exc
        bound, port = runner.addresses[0][:2]  # the port chosen when asked for port 0
        ready(f"http://{f'[{bound}]' if ':' in bound else bound}:{port}/")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
