"""A campaign's shape as mermaid text: compound stages as compound states, labels everywhere.

Definition layer: reads a built :class:`Definition`, imports nothing of run,
store or report, and needs no drawing library (the text is pasted into any
mermaid renderer).
"""

from __future__ import annotations

from campaignflow.definition.model import SEPARATOR, Definition, Stage, Transition


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


def _edge_label(t: Transition) -> str:
    """The transition's label (its event when unlabelled), then its ordering and gate labels."""
    conditions = [r.label or r.id for r in (*t.order, *([t.gate] if t.gate is not None else []))]
    head = t.label or t.event
    if t.label and t.label != t.event:
        head = f"{t.label} ({t.event})"
    return _text(head + (f" [{' & '.join(conditions)}]" if conditions else ""))


def _outermost(definition: Definition, leaf: str, inside: str) -> str:
    """The outermost stage holding ``leaf`` that does not also hold ``inside``."""
    parts = leaf.split(SEPARATOR)
    for n in range(1, len(parts) + 1):
        path = SEPARATOR.join(parts[:n])
        if not definition.covers(path, inside):
            return path
    return leaf


def mermaid(definition: Definition) -> str:
    """The campaign as a mermaid ``stateDiagram-v2``.

    Each stage is a state titled ``label (path)``; a stage with substages is a
    compound state holding them, entered at its first substage. Each
    transition is an edge from the stage it leaves (a compound stage when the
    transition leaves any of its substages) to the stage it enters, labelled
    with the transition's label and event, then its ordering and gate labels.
    A rework is drawn as ``返工`` edges back to its stage from each later stage,
    with its limit.
    """
    lines = ["---", f"title: {_text(definition.label or definition.id)}", "---", "stateDiagram-v2"]
    lines.append("  direction LR")
    for stage in definition.stages:
        lines.extend(_states(definition, stage, "", 1))
    lines.append(f"  [*] --> {node(definition.stages[0].id)}")
    for t in definition.transitions:
        label = _edge_label(t)
        lines.extend(f"  {node(source)} --> {node(t.dest)}: {label}" for source in t.sources)
    for back, rework in definition.reworks.items():
        first = definition.first_leaf(back)
        later = definition.leaves[definition.leaves.index(first) + 1 :]
        sources = dict.fromkeys(_outermost(definition, leaf, back) for leaf in later)
        label = _text(f"返工 send back (limit {rework.limit})")
        lines.extend(f"  {node(source)} --> {node(back)}: {label}" for source in sources)
    return "\n".join(lines)
