"""Engine throughput on one core: a realistic mix of starts, taps and free text.

Run: python benchmarks/engine_bench.py [--events 200000]
Each simulated person starts (half of them from a deep link), taps through menus, answers the
quiz, ticks the checklist, goes back, and types free text (a topic, a help word, gibberish).
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from pathlib import Path

from bot.content.loader import load_catalog
from bot.engine.events import Command, Start, Tap, Text
from bot.engine.runtime import Engine

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["робота", "rabota", "регистрация", "help", "помогите", "паспорт", "qwerty", "job offer",
         "де зареєструватися", "minimum wage", "👋", "PESEL"]


def scripted_events(engine: Engine, count: int, seed: int = 7) -> list:
    """A deterministic mixed stream, built from the real screens and buttons."""
    rng = random.Random(seed)
    nodes = list(engine.catalog.nodes)
    langs = engine.settings.languages
    countries = engine.settings.countries
    events = []
    while len(events) < count:
        if rng.random() < 0.5:
            events.append(Start(f"{rng.choice(langs)}-{rng.choice(countries)}"))
        else:
            events.append(Start())
            events.append(Tap(f"l:{rng.choice(langs)}"))
        for _ in range(rng.randint(3, 12)):
            roll = rng.random()
            if roll < 0.55:
                events.append(Tap(f"n:{rng.choice(nodes)}"))
            elif roll < 0.65:
                events.append(Tap(rng.choice(["b", "h", "s"])))
            elif roll < 0.75:
                events.append(Tap(f"q:job_check:{rng.randint(0, 4)}:{rng.randint(0, 1)}"))
            elif roll < 0.8:
                events.append(Tap(f"k:travel_checklist:{rng.randint(0, 5)}"))
            elif roll < 0.95:
                events.append(Text(rng.choice(TEXTS)))
            else:
                events.append(Command(rng.choice(["menu", "sos", "help", "country", "nope"])))
    return events[:count]


def run(engine: Engine, events: list) -> float:
    session = None
    started = time.perf_counter()
    for event in events:
        reply = engine.step(session, event, lang_hint="uk")
        session = None if reply.erase else reply.session
        if isinstance(event, Start) and not event.payload:
            session = None
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    catalog, _ = load_catalog(ROOT)
    engine = Engine(catalog)
    events = scripted_events(engine, args.events)
    run(engine, events[:5000])  # warm the render cache and Babel's locale data
    best = min(run(engine, events) for _ in range(3))
    kinds = {}
    for event in events:
        kinds[type(event).__name__] = kinds.get(type(event).__name__, 0) + 1
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"events: {len(events)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
    print(f"best of 3: {best:.3f} s -> {len(events) / best:,.0f} events/s "
          f"({best / len(events) * 1e6:.1f} us/event)")


if __name__ == "__main__":
    main()
