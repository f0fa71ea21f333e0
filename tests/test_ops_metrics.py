"""Metrics: a registry per bot, bounded labels, the services' own numbers at scrape time."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops.metrics import Metrics
from bot.ordering import RedisOrdering
from bot.stats import MemoryCounter
from bot.storage import MemoryStore, RedisStore


def samples(metrics: Metrics) -> dict[tuple, float]:
    text = generate_latest(metrics.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_two_bots_in_one_process_keep_their_own_counts():
    first, second = Metrics(), Metrics()  # the global registry would refuse the second
    first.update("message", "handled", 0.01)
    assert samples(first)[("stay_safe_updates_total",
                           (("kind", "message"), ("outcome", "handled")))] == 1
    assert samples(second)[("stay_safe_updates_total",
                            (("kind", "message"), ("outcome", "handled")))] == 0


def test_labels_stay_within_their_fixed_sets():
    metrics = Metrics()
    metrics.update("edited_message", "handled", 0.2)  # a kind the bot does not ask for
    metrics.api_request("sendMessage", "418")  # a status nobody expected
    got = samples(metrics)
    assert got[("stay_safe_updates_total", (("kind", "other"), ("outcome", "handled")))] == 1
    assert got[("stay_safe_bot_api_requests_total",
                (("method", "sendMessage"), ("status", "error")))] == 1


def test_the_services_numbers_are_read_at_each_scrape(tmp_path):
    metrics = Metrics()
    store = RedisStore.from_url("redis://127.0.0.1:1/0", 60, journal_path=tmp_path / "j")
    metrics.watch(store, MemoryCounter(), RedisOrdering(store))
    assert samples(metrics)[("stay_safe_redis_up", ())] == 1
    store._failed(OSError("refused"))  # what a failed request does
    got = samples(metrics)
    assert got[("stay_safe_redis_up", ())] == 0 and got[("stay_safe_redis_errors_total", ())] == 1
    assert got[("stay_safe_turns_waited_total", ())] == 0


def test_sessions_in_memory_export_no_redis_numbers():
    metrics = Metrics()
    metrics.watch(MemoryStore(60), MemoryCounter(), None)
    assert not [name for name, _ in samples(metrics) if "redis" in name]
