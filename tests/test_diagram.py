"""Campaign diagrams: compound stages as compound mermaid states, labels on states and edges."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import campaignflow as cf
from campaignflow.cli import main
from campaignflow.definition.diagram import node
from campaignflow.presets import mass_line
from conftest import system_program


@attrs.frozen(kw_only=True)
class _Note:
    """Evidence for the nested campaign."""

    text: str = ""


EDGE = re.compile(r"^\s*(\S+) --> (\S+): (.+)$")
DECLARED = re.compile(r'^\s*state "(.*)" as (\S+)$')


def _structure(text: str) -> tuple[dict[str, str], dict[str, str | None], list[tuple[str, str, str]]]:
    """(titles by id, parent compound by id, edges) of a mermaid state diagram; checks it is well formed."""
    titles: dict[str, str] = {}
    parents: dict[str, str | None] = {}
    edges: list[tuple[str, str, str]] = []
    open_blocks: list[str] = []
    for line in text.splitlines():
        if m := DECLARED.match(line):
            titles[m.group(2)] = m.group(1)
            parents[m.group(2)] = open_blocks[-1] if open_blocks else None
        elif m := re.match(r"^\s*state (\S+) \{$", line):
            assert m.group(1) in titles, f"compound {m.group(1)} opened before it was declared"
            open_blocks.append(m.group(1))
        elif line.strip() == "}":
            open_blocks.pop()
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(3)))
        elif m := re.match(r"^\s*\[\*\] --> (\S+)$", line):
            assert m.group(1) in titles
    assert open_blocks == [], "unbalanced braces"
    for source, dest, _ in edges:
        assert source in titles, source
        assert dest in titles, dest
    return titles, parents, edges


class TestDiagram:
    def test_compound_stages_are_compound_states_with_their_labels(self) -> None:
        """查摆问题、开展批评 is a compound state holding its three labelled sub-stages."""
        titles, parents, _ = _structure(mass_line.campaign().diagram())
        assert titles["examine"] == "查摆问题、开展批评 (examine)"
        assert {k for k, v in parents.items() if v == "examine"} == {
            "examine__prepare",
            "examine__meeting",
            "examine__evaluation",
        }
        assert titles["examine__meeting"] == "专题民主生活会 (examine.meeting)"
        assert parents["study"] is None
        assert len(titles) == 8  # 5 top-level stages + 3 sub-stages, each once

    def test_transitions_carry_their_labels_and_gates(self) -> None:
        """Each transition is an edge with its label, event and gate labels; into a compound ends at it."""
        _, _, edges = _structure(mass_line.campaign().diagram())
        by_pair = {(s, d): label for s, d, label in edges}
        finish = "转入查摆问题、开展批评环节 (finish_study)"
        gates = "回头看: failed checks pass again & 学习教育和听取意见环节各项工作达标"
        assert by_pair["study", "examine"] == f"{finish} [{gates}]"
        meeting = by_pair["examine__prepare", "examine__meeting"]
        assert meeting.startswith("召开专题民主生活会 (hold_meeting) [")
        assert "五个不开会" in meeting
        assert by_pair["close", "study"] == "返工 send back (limit 3)"

    def test_a_transition_leaving_a_compound_stage_starts_at_it(self) -> None:
        """A transition from a compound stage is drawn from the compound state, nested two levels deep."""
        c = cf.Campaign("nest", label='检查 "一"; 二')
        c.stage("a", label="准备")
        c.stage(
            "b",
            label="检查",
            substages=(cf.Stage(id="x", label="自查"), cf.Stage(id="y", substages=(cf.Stage(id="p"),))),
        )
        c.stage("c")
        c.transition("go", "a", "b", label="开始")
        c.transition("next", "b.x", "b.y")
        c.transition("done", "b", "c", gate=cf.count_at_least(_Note, 1, label="有记录; #1"))
        c.evidence(_Note)
        text = c.diagram()
        titles, parents, edges = _structure(text)
        assert parents["b__y__p"] == "b__y"
        assert parents["b__y"] == "b"
        assert titles["b__y"] == "b.y"  # unlabelled: its path
        assert ("b", "c", "done [有记录, ＃1]") in edges
        assert ("a", "b", "开始 (go)") in edges
        assert "title: 检查 '一', 二" in text

    def test_cli_prints_the_same(self) -> None:
        """`campaignflow diagram MODULE:ATTR` prints campaign.diagram()."""
        result = CliRunner().invoke(main, ["diagram", "campaignflow.presets.mass_line:campaign"])
        assert result.exit_code == 0
        assert result.output == mass_line.campaign().diagram() + "\n"


SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def dot() -> str:
    """Graphviz's dot (scripts/graphviz.sh installs it when missing); CI never skips."""
    return system_program("graphviz.sh", "dot")


def _groups(svg: str, kind: str) -> dict[str, list[ET.Element]]:
    """The SVG's groups of one class (``node``, ``cluster``, ``edge``) by their <title>."""
    root = ET.fromstring(svg)  # noqa: S314 - our own renderer's output
    found: dict[str, list[ET.Element]] = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == kind:
            title = g.findtext(f"{SVG}title")
            assert title is not None
            found.setdefault(title, []).append(g)
    return found


def _texts(g: ET.Element) -> list[str]:
    return [t.text or "" for t in g.iter(f"{SVG}text")]


def _box(g: ET.Element) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of every coordinate the group's shapes draw."""
    xs: list[float] = []
    ys: list[float] = []
    for shape in g:
        if shape.tag == f"{SVG}ellipse":
            cx, cy, rx, ry = (float(shape.get(k, "0")) for k in ("cx", "cy", "rx", "ry"))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d", shape.get("points", "")))]
        xs += numbers[0::2]
        ys += numbers[1::2]
    assert xs, "a group with no shape"
    return min(xs), min(ys), max(xs), max(ys)


class TestSvg:
    def test_the_compound_stage_is_a_labelled_box_around_its_substages(self, dot: str) -> None:
        """查摆问题、开展批评 is a cluster titled with its label whose border holds its three sub-stages."""
        svg = mass_line.campaign().diagram(format="svg")
        clusters = _groups(svg, "cluster")
        assert list(clusters) == ["cluster_examine"]
        (examine,) = clusters["cluster_examine"]
        assert _texts(examine) == ["查摆问题、开展批评 (examine)"]
        nodes = _groups(svg, "node")
        x0, y0, x1, y1 = _box(examine)
        for sub in ("examine__prepare", "examine__meeting", "examine__evaluation"):
            (g,) = nodes[sub]
            a, b, c, d = _box(g)
            assert x0 <= a, sub
            assert c <= x1, sub
            assert y0 <= b, sub
            assert d <= y1, sub
        (meeting,) = nodes["examine__meeting"]
        assert _texts(meeting) == ["专题民主生活会 (examine.meeting)"]
        for outside in ("mobilise", "study", "rectify", "close"):
            (g,) = nodes[outside]
            a, _, c, _ = _box(g)
            assert c < x0 or a > x1, outside

    def test_every_transition_is_an_edge_with_its_labels(self, dot: str) -> None:
        """Each transition is an edge from each source to its dest with its label, event and gate labels."""
        definition = mass_line.campaign().build()
        edges = _groups(mass_line.campaign().diagram(format="svg"), "edge")
        for t in definition.transitions:
            conditions = [r.label or r.id for r in (*t.order, *([t.gate] if t.gate else []))]
            for source in t.sources:
                drawn = [_texts(g) for g in edges[f"{node(source)}->{node(t.dest)}"]]
                assert [f"{t.label} ({t.event})", *conditions] in drawn, t.event
        backs = [_texts(g) for g in edges["close->study"]]
        assert ["返工 send back (limit 3)"] in backs

    def test_the_cli_writes_the_svg(self, dot: str, tmp_path: Path) -> None:
        """`diagram TARGET --out FILE.svg` writes the same SVG; --format mermaid writes the text."""
        out = tmp_path / "campaign.svg"
        result = CliRunner().invoke(
            main, ["diagram", "campaignflow.presets.mass_line:campaign", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8") == mass_line.campaign().diagram(format="svg")
        text = tmp_path / "campaign.mmd"
        args = [
            "diagram",
            "campaignflow.presets.mass_line:campaign",
            "--format",
            "mermaid",
            "--out",
            str(text),
        ]
        assert CliRunner().invoke(main, args).exit_code == 0
        assert text.read_text(encoding="utf-8") == mass_line.campaign().diagram()
        mermaid_out = _structure(text.read_text(encoding="utf-8"))[0]
        assert mermaid_out["examine"] == "查摆问题、开展批评 (examine)"


class TestMissingDependency:
    def test_without_the_binding_the_error_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now raises ImportError
        with pytest.raises(cf.MissingDependency, match=r"pip install 'campaignflow\[diagram\]'"):
            mass_line.campaign().diagram(format="svg")
        assert "examine" in mass_line.campaign().diagram()  # mermaid needs nothing

    def test_without_dot_the_error_names_the_package(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PATH", "")
        with pytest.raises(cf.MissingDependency, match="apt-get install graphviz"):
            mass_line.campaign().diagram(format="svg")

    def test_the_cli_says_it_in_one_line(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "graphviz", None)
        result = CliRunner().invoke(
            main, ["diagram", "campaignflow.presets.mass_line:campaign", "--format", "svg"]
        )
        assert result.exit_code == 3
        assert result.output.count("\n") == 1
        assert result.output.startswith("error: an SVG diagram needs the graphviz binding: pip install")

    def test_an_unknown_format_is_an_argument_error(self) -> None:
        with pytest.raises(cf.ArgumentError, match="format='png'"):
            mass_line.campaign().diagram(format="png")


def test_the_org_tree_is_mermaid_only(tmp_path: Path) -> None:
    """`diagram X --org FILE --out tree.mmd` writes the org's mermaid; an SVG of it is a usage error."""
    org = cf.Org.from_dicts(
        [
            {"id": "t", "parent": None, "level": "township", "name": "城关镇"},
            {"id": "v", "parent": "t", "level": "village", "name": "东村"},
        ]
    )
    path = tmp_path / "org.json"
    path.write_text(org.to_json(), encoding="utf-8")
    out = tmp_path / "tree.mmd"
    target = "campaignflow.presets.mass_line:campaign"
    result = CliRunner().invoke(main, ["diagram", target, "--org", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == org.to_mermaid()
    refused = CliRunner().invoke(main, ["diagram", target, "--org", str(path), "--format", "svg"])
    assert refused.exit_code == 2
    assert "mermaid text only" in refused.output
