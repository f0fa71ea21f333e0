"""The flow graph: one model from the catalog, drawn as Mermaid for the docs and as the map."""

from __future__ import annotations

import re
from pathlib import Path

from bot.studio.graph import Edge, Graph, Screen, build_graph, to_mermaid
from tests.conftest import BASE, PROJECT
from tests.test_cli import run


def declared(mermaid: str) -> dict[str, str]:
    """Screen id → its label, from the node lines of a Mermaid flowchart."""
    found = {}
    for line in mermaid.splitlines():
        match = re.fullmatch(r'  ([A-Za-z0-9_]+)[\[({>]+"(.*)"[\])}]+', line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def arrows(mermaid: str) -> set[tuple[str, str, str]]:
    """(source, label, target) of every arrow line."""
    found = set()
    for line in mermaid.splitlines():
        match = re.fullmatch(r'  ([A-Za-z0-9_]+)(?:\[.*\]|>"[^"]*"\])? -(?:->|\.->)'
                             r'(?:\|"(.*)"\|)? ([A-Za-z0-9_]+)', line)
        if match:
            found.add((match.group(1), match.group(2) or "", match.group(3)))
    return found


def test_mermaid_has_every_screen_button_result_and_command_of_the_shipped_flow(shipped_engine):
    catalog = shipped_engine.catalog
    text = to_mermaid(build_graph(catalog))
    assert text.startswith("%%") and "flowchart TD" in text
    nodes = declared(text)
    for node_id in catalog.nodes:
        assert node_id in nodes, node_id
    assert nodes["home"] == str(catalog.texts["uk"]["home"].title)
    lines = {(source, target) for source, _, target in arrows(text)}
    expected = {(n.id, target) for n in catalog.nodes.values() for target in n.buttons}
    expected |= {(n.id, r.node) for n in catalog.nodes.values() for r in n.results}
    assert expected <= lines
    assert ("cmd_sos", catalog.settings.sos) in lines
    quiz = next(n for n in catalog.nodes.values() if n.results)
    labels = {label for source, label, _ in arrows(text) if source == quiz.id and label}
    assert labels == {f"{r.min_score}+ points" for r in quiz.results[:-1]} | {
        f"{quiz.results[-1].min_score}+ points or a decisive yes"}


def test_the_map_and_mermaid_describe_the_same_graph():
    from bot.content.loader import load_catalog

    catalog, _ = load_catalog(BASE)
    graph = build_graph(catalog, "en")
    assert graph.screens[0].id == "home" and graph.screens[0].depth == 0
    assert {s.id: s.depth for s in graph.screens}["safe"] == 2  # home → quiz → safe
    assert [e.target for e in graph.outgoing("work")] == ["quiz"]
    assert {e.source for e in graph.incoming("helplines")} == {"home", "risky"}
    text = to_mermaid(graph)
    assert declared(text)["quiz"] == "[en] Quiz"
    assert {(e.source, e.label, e.target) for e in graph.edges} <= arrows(text)


def test_mermaid_words_quotes_and_signs_in_titles_cannot_break_the_chart():
    graph = Graph(
        screens=(Screen("home", "menu", 'Say "hi" <b>#1</b>', 0),
                 Screen("end", "info", "The end", 1)),
        edges=(Edge("home", "end", "button"),), entries=())
    text = to_mermaid(graph)
    assert '  home["Say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt;"]' in text
    assert '  end_("The end")' in text
    assert "  home --> end_" in text


def test_stay_safe_graph_writes_the_mermaid_file(tmp_path: Path):
    out = tmp_path / "flow.mmd"
    result = run("graph", "--root", str(BASE), "--output", str(out))
    assert result.returncode == 0, result.stderr
    from bot.content.loader import load_catalog

    catalog, _ = load_catalog(BASE)
    assert out.read_text(encoding="utf-8") == to_mermaid(build_graph(catalog))
    printed = run("graph", "--root", str(PROJECT), "--lang", "en")
    assert '  home["🏠 Main menu"]' in printed.stdout.splitlines()
    wrong = run("graph", "--root", str(BASE), "--lang", "pl")
    assert wrong.returncode == 2
    assert wrong.stderr == "stay-safe: --lang must be one of uk, ru, en\n"


def test_stay_safe_graph_on_a_folder_without_content_says_why(tmp_path: Path):
    result = run("graph", "--root", str(tmp_path))
    assert result.returncode == 1
    assert "settings.yaml" in result.stderr
    assert "Traceback" not in result.stderr
