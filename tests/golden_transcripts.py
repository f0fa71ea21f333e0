"""Golden transcripts: read them, replay them, and (on purpose only) record them again.

Each file in tests/golden is a transcript as ``stay-safe chat`` prints it (``> input`` lines,
then the bot's answer). The first line may hold options: ``# lang: uk country: PL``.
After a deliberate content change, record them again and read the diff before committing:

    python -m tests.golden_transcripts --update
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.content.loader import load_catalog
from bot.engine.runtime import Engine
from bot.preview import transcript

GOLDEN = Path(__file__).parent / "golden"


def inputs(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("> ")]


def options(text: str) -> dict[str, str]:
    first = text.splitlines()[0]
    if not first.startswith("# "):
        return {}
    words = first[2:].replace(":", "").split()
    return dict(zip(words[::2], words[1::2], strict=True))


def replay(engine: Engine, text: str) -> str:
    """The transcript the engine gives today for the inputs of ``text``."""
    found = options(text)
    header = text.splitlines()[0] + "\n" if found else ""
    return header + transcript(engine, inputs(text), lang=found.get("lang"),
                               country=found.get("country"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the files")
    args = parser.parse_args()
    catalog, problems = load_catalog(GOLDEN.parent.parent)
    if catalog is None:
        raise SystemExit("\n".join(map(str, problems)))
    engine = Engine(catalog)
    changed = 0
    for path in sorted(GOLDEN.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        actual = replay(engine, text)
        if actual != text:
            changed += 1
            print(f"{'rewritten' if args.update else 'differs'}: {path.name}")
            if args.update:
                path.write_text(actual, encoding="utf-8")
    print(f"{changed} transcript(s) {'rewritten' if args.update else 'differ'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
