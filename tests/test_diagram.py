"""Campaign diagrams: compound stages as compound mermaid states, labels on states and edges."""

from __future__ import annotations

import re

import attrs
from click.testing import CliRunner

import campaignflow as cf
from campaignflow.cli import main
from campaignflow.presets import mass_line


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
