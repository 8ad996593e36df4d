"""A campaign's shape: compound stages as compound states, labels everywhere.

Two drawings of one structure: mermaid text (:func:`mermaid`, no drawing
library: paste it into any mermaid renderer) and an SVG picture (:func:`svg`,
rendered by Graphviz through the optional ``graphviz`` binding, the
``diagram`` extra). Both draw the same states, compound states and labelled
edges (:func:`edges`).

Definition layer: reads a built :class:`Definition`, imports nothing of run,
store or report.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from campaignflow.definition.model import SEPARATOR, Definition, Stage, Transition
from campaignflow.exceptions import MissingDependency

FORMATS = ("mermaid", "svg")
"""The drawings :func:`draw` makes."""
FONT = "Noto Sans CJK SC"  # Chinese labels need a CJK font; viewers fall back when it is absent


def node(path: str) -> str:
    """The mermaid id of a stage path: ``examine.meeting`` becomes ``examine__meeting``."""
    return path.replace(SEPARATOR, "__")


def _text(label: str) -> str:
    """A label mermaid reads as one piece of text on one line."""
    return " ".join(label.replace('"', "'").replace(";", ",").replace("#", "＃").split())


def _title(definition: Definition, path: str) -> str:
    label = definition.stage_labels.get(path, "")
    return _text(f"{label} ({path})" if label else path)


def _states(definition: Definition, stage: Stage, prefix: str, depth: int) -> list[str]:
    path = prefix + stage.id
    pad = "  " * depth
    lines = [f'{pad}state "{_title(definition, path)}" as {node(path)}']
    if stage.substages:
        first = path + SEPARATOR + stage.substages[0].id
        lines.append(f"{pad}state {node(path)} {{")
        for sub in stage.substages:
            lines.extend(_states(definition, sub, path + SEPARATOR, depth + 1))
        lines.append(f"{pad}  [*] --> {node(first)}")
        lines.append(f"{pad}}}")
    return lines


def _edge_parts(t: Transition) -> tuple[str, list[str]]:
    """The transition's label and event (the event alone when unlabelled), its ordering and gate labels."""
    conditions = [r.label or r.id for r in (*t.order, *([t.gate] if t.gate is not None else []))]
    head = t.label or t.event
    if t.label and t.label != t.event:
        head = f"{t.label} ({t.event})"
    return head, conditions


def _one_line(head: str, conditions: list[str]) -> str:
    """An edge's label on one line: its head, then its conditions in brackets."""
    return _text(head + (f" [{' & '.join(conditions)}]" if conditions else ""))


def _outermost(definition: Definition, leaf: str, inside: str) -> str:
    """The outermost stage holding ``leaf`` that does not also hold ``inside``."""
    parts = leaf.split(SEPARATOR)
    for n in range(1, len(parts) + 1):
        path = SEPARATOR.join(parts[:n])
        if not definition.covers(path, inside):
            return path
    return leaf


class Edge(NamedTuple):
    """An edge of the drawing: a transition's, or a rework's way back (``back``)."""

    source: str
    dest: str
    head: str
    conditions: list[str]
    back: bool = False


def edges(definition: Definition) -> list[Edge]:
    """Every edge drawn, transitions first, then reworks.

    Each transition is an edge from each stage it leaves to the stage it enters
    (a compound stage when the transition leaves any of its substages). A
    rework is a ``返工`` edge back to its stage from the outermost stage of
    each later leaf that does not hold it, with its limit.
    """
    drawn: list[Edge] = []
    for t in definition.transitions:
        head, conditions = _edge_parts(t)
        drawn.extend(Edge(source, t.dest, head, conditions) for source in t.sources)
    for back, rework in definition.reworks.items():
        first = definition.first_leaf(back)
        later = definition.leaves[definition.leaves.index(first) + 1 :]
        sources = dict.fromkeys(_outermost(definition, leaf, back) for leaf in later)
        label = f"返工 send back (limit {rework.limit})"
        drawn.extend(Edge(source, back, label, [], back=True) for source in sources)
    return drawn


def mermaid(definition: Definition) -> str:
    """The campaign as a mermaid ``stateDiagram-v2``.

    Each stage is a state titled ``label (path)``; a stage with substages is a
    compound state holding them, entered at its first substage. Each edge of
    :func:`edges` is labelled with the transition's label and event, then its
    ordering and gate labels in brackets.
    """
    lines = ["---", f"title: {_text(definition.label or definition.id)}", "---", "stateDiagram-v2"]
    lines.append("  direction LR")
    for stage in definition.stages:
        lines.extend(_states(definition, stage, "", 1))
    lines.append(f"  [*] --> {node(definition.stages[0].id)}")
    lines.extend(
        f"  {node(e.source)} --> {node(e.dest)}: {_one_line(e.head, e.conditions)}" for e in edges(definition)
    )
    return "\n".join(lines)


def _graphviz() -> Any:
    """The ``graphviz`` module, or the error naming the extra to install."""
    try:
        import graphviz  # noqa: PLC0415 - optional: the ``diagram`` extra
    except ImportError:
        msg = (
            "an SVG diagram needs the graphviz binding: pip install 'campaignflow[diagram]' "
            "(or ask for format='mermaid')"
        )
        raise MissingDependency(msg) from None
    return graphviz


def _cluster(path: str) -> str:
    return "cluster_" + node(path)


def _add_stage(definition: Definition, graph: Any, stage: Stage, prefix: str) -> None:
    """A leaf as a rounded box; a compound stage as a labelled cluster entered at a dot."""
    path = prefix + stage.id
    title = _title(definition, path)
    if not stage.substages:
        graph.node(node(path), title, shape="box", style="rounded")
        return
    with graph.subgraph(name=_cluster(path)) as cluster:
        cluster.attr(label=title, style="rounded", labeljust="l")
        # The cluster's entry, as mermaid's [*]: edges into and out of the
        # compound stage end at this dot, clipped to the cluster's border.
        cluster.node(node(path), "", shape="point", width="0.12")
        for sub in stage.substages:
            _add_stage(definition, cluster, sub, path + SEPARATOR)
        cluster.edge(node(path), node(path + SEPARATOR + stage.substages[0].id))


def svg(definition: Definition) -> str:
    """The campaign as an SVG picture, laid out by Graphviz's ``dot``.

    The same drawing as :func:`mermaid`: each leaf stage a box titled
    ``label (path)``, each compound stage a cluster with its title holding its
    substages, each edge of :func:`edges` labelled with the transition's label
    and event, then one line per ordering and gate label.

    Raises:
        MissingDependency: the ``graphviz`` binding (``pip install
            'campaignflow[diagram]'``) or Graphviz's ``dot`` program
            (``apt-get install graphviz``) is missing.
    """
    graphviz = _graphviz()
    graph = graphviz.Digraph(definition.id)
    graph.attr(rankdir="LR", compound="true", label=_text(definition.label or definition.id), labelloc="t")
    graph.attr(fontname=FONT)
    graph.attr("node", fontname=FONT)
    graph.attr("edge", fontname=FONT, fontsize="10")
    graph.node("__start", "", shape="circle", style="filled", fillcolor="black", width="0.2")
    for stage in definition.stages:
        _add_stage(definition, graph, stage, "")
    compound = {p for p in definition.paths if p not in definition.leaves}
    graph.edge("__start", node(definition.stages[0].id))
    for e in edges(definition):
        ends = {}
        if e.source in compound:
            ends["ltail"] = _cluster(e.source)
        if e.dest in compound:
            ends["lhead"] = _cluster(e.dest)
        if e.back:  # the way back: drawn dashed, and it does not pull the layout backwards
            ends.update(constraint="false", style="dashed", color="#b00020", fontcolor="#b00020")
        label = "\n".join(_text(line) for line in [e.head, *e.conditions])
        graph.edge(node(e.source), node(e.dest), label=label, **ends)
    try:
        text: str = graph.pipe(format="svg", encoding="utf-8", quiet=True)
    except graphviz.ExecutableNotFound:
        msg = (
            "an SVG diagram needs Graphviz's dot program: apt-get install graphviz "
            "(or ask for format='mermaid')"
        )
        raise MissingDependency(msg) from None
    return text


def draw(definition: Definition, fmt: str = "mermaid") -> str:
    """The campaign drawn as ``fmt``: ``"mermaid"`` text or an ``"svg"`` picture."""
    if fmt == "svg":
        return svg(definition)
    return mermaid(definition)
