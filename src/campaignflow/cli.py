"""The ``campaignflow`` command line. The only module that prints."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.progress import Progress as Bar
from rich.table import Table

from campaignflow.exceptions import CampaignflowError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="campaignflow")
def main() -> None:
    """Run, check and inspect multi-stage inspection campaigns."""


@main.command()
@click.option("--seed", default=0, show_default=True, help="Seed of the simulated campaign.")
@click.option("--sites", default=12, show_default=True, help="Number of sites to simulate.")
def demo(seed: int, sites: int) -> None:
    """Run a small built-in campaign end to end and show the roll-up.

    Example: campaignflow demo --seed 7 --sites 20
    """
    from campaignflow.presets.safety_demo import simulate  # noqa: PLC0415 - keep --help fast

    console = Console()
    try:
        with Bar(console=console, transient=True) as bar:
            task = bar.add_task("simulating sites", total=sites)
            result = simulate(
                sites=sites, seed=seed, on_step=lambda n: bar.update(task, completed=n)
            )
    except CampaignflowError as exc:
        console.print(f"[red]error:[/red] {exc}")
        sys.exit(1)
    run = result.run
    definition = run.definition
    console.print(f"[bold]{definition.label}[/bold] ({definition.id}) over {len(run.org)} sites")
    if result.explained:
        console.print("\n[bold]Why some sites were refused (first attempts):[/bold]")
        for verdict in result.explained:
            console.print(verdict.explain(), markup=False)
    progress = run.progress()
    table = Table(title="Where the sites are")
    table.add_column("stage")
    table.add_column("label")
    table.add_column("units", justify="right")
    for stage, n in progress.by_stage.items():
        table.add_row(stage, definition.label_of(stage), str(n))
    console.print(table)
    console.print(
        f"refusals: {result.refusals}   send-backs: {result.send_backs}   "
        f"escalations: {len(run.escalations)}"
    )
