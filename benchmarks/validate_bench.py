"""Validator cost: the shipped content, and a generated set ten times larger.

Run: python benchmarks/validate_bench.py
The large set copies every screen of flows/main.yaml (and its texts in every language) nine
more times under new ids, linked from the home screen, so every check (rendering included)
runs on ten times the screens. Times are best of 5, in one process, so the ratio is fair.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import yaml

from bot.checks.validate import validate
from bot.content.loader import CAMPAIGNS_FILE, FACTS_FILE, HANDOFF_FILE, SETTINGS_FILE

ROOT = Path(__file__).resolve().parent.parent
COPIES = 9


def _rename(spec: dict, suffix: str, ids: set[str]) -> dict:
    """A copy of a screen whose buttons and quiz results lead to the copied screens."""
    spec = dict(spec)
    if "buttons" in spec:
        spec["buttons"] = [b + suffix if b in ids else b for b in spec["buttons"]]
    if "results" in spec:
        spec["results"] = [{**r, "to": r["to"] + suffix} for r in spec["results"]]
    return spec


def make_large(target: Path) -> int:
    """Copy flows/ and content/, then add COPIES renamed copies of every screen and its texts."""
    shutil.copytree(ROOT / "flows", target / "flows")
    shutil.copytree(ROOT / "content", target / "content")
    skip = {SETTINGS_FILE, FACTS_FILE, CAMPAIGNS_FILE, HANDOFF_FILE}  # not screens
    flow_files = [p for p in sorted((ROOT / "flows").glob("*.yaml")) if p.name not in skip]
    flows = {}
    for path in flow_files:
        flows.update(yaml.safe_load(path.read_text(encoding="utf-8")))
    ids = set(flows) - {"language", "country"}
    langs = [d.name for d in sorted((ROOT / "content").iterdir()) if d.is_dir()]
    texts = {lang: {} for lang in langs}
    for lang in langs:
        for path in sorted((ROOT / "content" / lang).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            texts[lang].update({k: v for k, v in data.items() if k in ids})
    for k in range(1, COPIES + 1):
        suffix = f"_x{k}"
        copy = {node_id + suffix: _rename(spec, suffix, ids)
                for node_id, spec in flows.items() if node_id in ids}
        (target / f"flows/copy{k}.yaml").write_text(yaml.safe_dump(copy, allow_unicode=True),
                                                    encoding="utf-8")
        for lang in langs:
            copied = {node_id + suffix: spec for node_id, spec in texts[lang].items()}
            (target / "content" / lang / f"copy{k}.yaml").write_text(
                yaml.safe_dump(copied, allow_unicode=True), encoding="utf-8")
    home_file = next(p for p in flow_files if "home" in yaml.safe_load(p.read_text()))
    main = yaml.safe_load(home_file.read_text(encoding="utf-8"))
    main["home"]["buttons"] = main["home"]["buttons"] + [f"home_x{k}" for k in range(1, 10)]
    (target / "flows" / home_file.name).write_text(yaml.safe_dump(main, allow_unicode=True),
                                                   encoding="utf-8")
    return len(flows) + len(ids) * COPIES


def timed(root: Path) -> tuple[float, int, int]:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        report = validate(root)
        best = min(best, time.perf_counter() - started)
    return best, len(report.errors), len(report.catalog.nodes)


def main() -> None:
    validate(ROOT)  # load Babel's locale data once, as a running process would have
    small, small_errors, small_nodes = timed(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        make_large(Path(tmp))
        large, large_errors, large_nodes = timed(Path(tmp))
    print(f"shipped content: {small_nodes} screens, {small:.3f} s, {small_errors} errors")
    print(f"generated x10:   {large_nodes} screens, {large:.3f} s, {large_errors} errors")
    print(f"ratio: {large / small:.1f}x time for {large_nodes / small_nodes:.1f}x screens")


if __name__ == "__main__":
    main()
