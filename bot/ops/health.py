"""/healthz, /readyz and /metrics: what a load balancer, Kubernetes and Prometheus ask.

- ``/healthz``: the process is alive and its event loop answers (200, always).
- ``/readyz``: 200 when this replica serves with every guarantee: content loaded, connected to
  Telegram (the webhook set, or polling), not shutting down, and Redis answering (when
  ``REDIS_URL`` is set). 503 otherwise, with the failing checks in the JSON body. While Redis
  is down the bot still answers from memory, but it is not *ready*: a rolling deploy waits,
  monitoring sees it. Each ``/readyz`` asks Redis (PING), which also ends the bot's outage mode
  as soon as Redis is back.
- ``/metrics``: Prometheus's text format, by prometheus_client's own handler.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.ops.metrics import Metrics


class Health:
    def __init__(self, store=None):
        self.store = store  # a RedisStore to ask, or None (sessions in memory)
        self.content = False  # content loaded and valid
        self.telegram = False  # the webhook is set, or polling has started
        self.draining = False  # shutting down: no new updates

    async def checks(self) -> dict[str, bool]:
        checks = {"content": self.content, "telegram": self.telegram,
                  "accepting": not self.draining}
        if self.store is not None:
            checks["redis"] = await self.store.reachable()
        return checks


def ops_routes(health: Health, metrics: Metrics) -> list[web.RouteDef]:
    async def alive(request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def ready(request: web.Request) -> web.Response:
        checks = await health.checks()
        ok = all(checks.values())
        return web.json_response({"ready": ok, **checks}, status=200 if ok else 503)

    return [web.get("/healthz", alive), web.get("/readyz", ready),
            web.get("/metrics", make_aiohttp_handler(metrics.registry))]
