"""Commands on a campaign's definition, no database: ``check`` and ``diagram``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from campaignflow.cli._app import NEGATIVE, OK, OUT, command, guard
from campaignflow.cli._read import write_or_print


@command()
@click.argument("target")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--budget",
    type=click.IntRange(min=1, max=100_000),
    default=100,
    show_default=True,
    help="Scenarios tried per rule.",
)
def check(target: str, fmt: str, budget: int) -> None:
    """Check a campaign definition: dead ends, unreachable stages, unsatisfiable rules...

    TARGET is MODULE:ATTR, a Campaign or a zero-argument callable returning one,
    looked up from the current directory first. Exits 1 when an error is found
    (warnings alone exit 0): usable in CI.

    Example: campaignflow check campaignflow.presets.mass_line:campaign
    """
    from campaignflow import _targets  # noqa: PLC0415 - keep --help fast

    report = guard(lambda: _targets.load_campaign(target).check(budget=budget))
    print(report.to_json() if fmt == "json" else report.text())
    sys.exit(OK if report.ok else NEGATIVE)


@command()
@click.argument("target")
@click.option("--org", "org_path", type=click.Path(path_type=Path), help="Draw this org's tree instead.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "svg"]),
    default=None,
    help="mermaid text, or an SVG picture (the diagram extra and Graphviz's dot). "
    "Default: svg when --out ends in .svg, mermaid otherwise.",
)
@OUT
def diagram(target: str, org_path: Path | None, fmt: str | None, out: Path | None) -> None:
    """Draw the campaign's stage machine: compound stages, labelled transitions, gates, reworks.

    TARGET is MODULE:ATTR (a Campaign or a zero-argument callable returning one),
    looked up from the current directory first. The SVG needs
    pip install 'campaignflow[diagram]' and Graphviz (apt-get install graphviz).
    With --org FILE (JSON or units.csv, up to 200 units) the org tree is drawn
    as mermaid text.

    Example: campaignflow diagram campaignflow.presets.mass_line:campaign --out campaign.svg
    """
    from campaignflow import _targets  # noqa: PLC0415 - keep --help fast

    if org_path is not None:
        if fmt == "svg":
            raise click.BadParameter("the org tree is drawn as mermaid text only", param_hint="--format")
        write_or_print(out, guard(lambda: _targets.load_org(org_path).to_mermaid()))
        return
    chosen = fmt or ("svg" if out is not None and out.suffix.lower() == ".svg" else "mermaid")
    write_or_print(out, guard(lambda: _targets.load_campaign(target).diagram(format=chosen)))
