"""Prometheus metrics: how the bot is doing, never who is using it.

Every label has a short, fixed set of values: update kinds and outcomes, Bot API method names
(aiogram's, a few dozen), answer statuses grouped into a fixed list, reload results. No label
ever carries a user id, chat id, text, URL or anything else that grows with use.

Each ``Metrics`` has its own registry (not prometheus_client's global one), so that tests and
two bots in one process do not clash. The services (store, counter, ordering) keep plain
numbers; a collector reads them when Prometheus scrapes, so they need no Prometheus import.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

# What the bot asks Telegram for (my_chat_member: its rights in the counsellors' group);
# anything else counts as "other".
UPDATE_KINDS = ("message", "callback_query", "my_chat_member")
# handled; duplicate (delivered again, handled once already); late (handled, after a later
# update of its conversation); unfinished (cut short or waited too long: Telegram delivers it
# again); failed (an error in the bot; logged with its traceback).
UPDATE_OUTCOMES = ("handled", "duplicate", "late", "unfinished", "failed")
API_STATUSES = ("200", "400", "401", "403", "404", "409", "413", "429", "5xx", "network",
                "bad_response", "redirect", "error")
UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.updates = Counter("stay_safe_updates", "Updates by kind and outcome",
                               ["kind", "outcome"], registry=r)
        self.update_seconds = Histogram("stay_safe_update_duration_seconds",
                                        "Time from an update's arrival to its last answer, "
                                        "its turn in the conversation included", ["kind"],
                                        buckets=UPDATE_BUCKETS, registry=r)
        self.in_flight = Gauge("stay_safe_updates_in_flight", "Updates being handled now",
                               registry=r)
        self.api_requests = Counter("stay_safe_bot_api_requests",
                                    "Bot API requests (each attempt) by method and status",
                                    ["method", "status"], registry=r)
        self.api_retries = Counter("stay_safe_bot_api_retries",
                                   "Bot API requests tried again, by method and reason",
                                   ["method", "reason"], registry=r)
        self.webhook_answers = Counter("stay_safe_webhook_answers",
                                       "Answers to Telegram's webhook requests, by HTTP status",
                                       ["status"], registry=r)
        self.reloads = Counter("stay_safe_content_reloads",
                               "Content changes accepted (live) or refused (invalid)",
                               ["result"], registry=r)
        self.content = Info("stay_safe_content", "The content in use: a hash of its files "
                            "and its number of screens", registry=r)
        # Every update and request counts: the labelled children are looked up once, and the
        # update series are present from the start, at 0.
        self._updates = {(kind, outcome): self.updates.labels(kind, outcome)
                         for kind in (*UPDATE_KINDS, "other") for outcome in UPDATE_OUTCOMES}
        self._update_seconds = {kind: self.update_seconds.labels(kind)
                                for kind in (*UPDATE_KINDS, "other")}
        self._api: dict[tuple[str, str], object] = {}
        for result in ("accepted", "refused"):
            self.reloads.labels(result)

    def update(self, kind: str, outcome: str, seconds: float) -> None:
        kind = kind if kind in UPDATE_KINDS else "other"
        self._updates[kind, outcome].inc()
        self._update_seconds[kind].observe(seconds)

    def api_request(self, method: str, status: str) -> None:
        key = (method, status if status in API_STATUSES else "error")
        child = self._api.get(key)
        if child is None:
            child = self._api[key] = self.api_requests.labels(*key)
        child.inc()

    def api_retry(self, method: str, reason: str) -> None:
        self.api_retries.labels(method, reason).inc()

    def content_in_use(self, version: str, screens: int) -> None:
        self.content.info({"version": version, "screens": str(screens)})

    def reloaded(self, accepted: bool) -> None:
        self.reloads.labels("accepted" if accepted else "refused").inc()

    def watch(self, store=None, counter=None, ordering=None) -> None:
        """Export the numbers the services keep (those they have) at every scrape."""
        self.registry.register(_Services(store, counter, ordering))


class _Services:
    """Reads the services' own counts when Prometheus scrapes."""

    def __init__(self, store, counter, ordering):
        self.store, self.counter, self.ordering = store, counter, ordering

    def describe(self):
        return []  # values are read at scrape time only

    def collect(self):
        store, counter, ordering = self.store, self.counter, self.ordering
        if hasattr(store, "breaker"):  # a RedisStore
            yield _gauge("stay_safe_redis_up", "1 while Redis answers; 0 while the bot answers "
                         "from memory (outage mode)", 0 if store.degraded else 1)
            yield _counter("stay_safe_redis_errors", "Redis requests that failed", store.errors)
            yield _gauge("stay_safe_sessions_waiting_for_redis", "Sessions changed while Redis "
                         "was away, not written back yet", len(store.changed))
            yield _gauge("stay_safe_erasures_waiting_for_redis", "Erasures (/forget) asked "
                         "while Redis was away, not done in Redis yet", store.pending_erasures)
            yield _counter("stay_safe_session_changes_lost", "Changes dropped while Redis was "
                           "away because memory was full", store.lost_changes)
        if hasattr(counter, "dropped"):
            yield _counter("stay_safe_campaign_events_dropped", "Campaign events not counted "
                           "(Redis down or too slow)", counter.dropped)
        if hasattr(ordering, "waited"):
            yield _counter("stay_safe_turns_waited", "Updates that waited for their "
                           "conversation's turn held by another update", ordering.waited)
            yield _counter("stay_safe_turn_locks_lost", "Conversation locks that expired "
                           "while their update was still being handled", ordering.lost_locks)


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


def _counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, help_text, value=value)
