"""``campaignflow demo``: the mass-line campaign simulated over Zhongmou, shown as a roll-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table

from campaignflow.cli._app import command, guard

if TYPE_CHECKING:
    from campaignflow._demo import DemoResult, Inbox
    from campaignflow.run.run import Run

SCALES = ("county", "province", "national")


@command()
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the simulation."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("zhongmou-demo.db"),
    show_default=True,
    help="SQLite file to write (a campaignflow database there is replaced; any other file is refused). "
    "The dashboard is written beside it as NAME.html.",
)
@click.option(
    "--scale",
    type=click.Choice(SCALES),
    default="county",
    show_default=True,
    help="county: Zhongmou (362 units); province: ~60k; national: ~640k.",
)
def demo(seed: int, db: Path, scale: str) -> None:
    """Run the mass-line campaign over Zhongmou county and show the roll-up.

    Example: campaignflow demo --seed 7 --db /tmp/zhongmou.db
    """
    from campaignflow import _demo  # noqa: PLC0415 - keep --help fast

    console = Console()
    if not console.is_terminal:
        # Logs and CI read plain lines; the bar is for people at a terminal.
        def say(phase: str, done: int, total: int) -> None:
            print(f"[{done}/{total}] {phase}" if total else f"... {phase}", flush=True)

        result = guard(lambda: _demo.run_demo(seed=seed, db=db, scale=scale, on_progress=say))
        _show(console, result)
        return
    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("building the org", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        result = guard(lambda: _demo.run_demo(seed=seed, db=db, scale=scale, on_progress=progress))
    _show(console, result)


def _show(console: Console, result: DemoResult) -> None:
    run = result.run
    d = run.definition
    console.print(
        f"[bold]{d.label}[/bold] over {run.org.name_of(run.org.root())}: "
        f"{len(run.org)} units, {result.steps} steps in {result.seconds:.1f} s"
    )
    console.print(result.timings(), markup=False, soft_wrap=True)
    table = Table(title=f"{result.leaf_level} units per stage, by {result.row_level}")
    table.add_column(result.row_level, no_wrap=True)
    for stage in d.leaves:
        table.add_column(d.label_of(stage)[:2], justify="right")
    table.add_column("blocked", justify="right")
    table.add_column("返工", justify="right")
    table.add_column("逾期", justify="right")  # overdue duties (visits, diaries) in the subtree
    for row in result.townships:
        table.add_row(
            row.name, *(str(n) for n in row.by_stage), str(row.blocked), str(row.sent_back), str(row.overdue)
        )
    console.print(table)
    if result.obligations is not None:
        console.print(result.obligations.explain(limit=5), markup=False, soft_wrap=True)
    if result.blocked:
        blocked = Table(title="Blocked units and why")
        blocked.add_column("unit")
        blocked.add_column("event")
        blocked.add_column("reasons")
        for b in result.blocked:
            blocked.add_row(run.org.name_of(b.unit), b.event, "\n".join(b.reasons))
        console.print(blocked)
    board = Table(title="曝光台: sent back past the limit")
    board.add_column("unit")
    board.add_column("stage")
    board.add_column("times", justify="right")
    board.add_column("last reason")
    for e in result.exposed:
        board.add_row(run.org.name_of(e.unit), d.label_of(e.stage), str(e.count), e.reason)
    console.print(board)
    for inbox in result.inboxes:
        _inbox(console, run, inbox)
    console.print(f"refused attempts: {result.refused}   send-backs: {result.sent_back}")
    console.print(f"first refusal, as a clerk reads it:\n{result.example}", markup=False, soft_wrap=True)
    console.print(f"replay check: {'ok' if result.verified else 'MISMATCH'}  database: {result.db}")
    console.print(f"dashboard: {result.dashboard.resolve()}", soft_wrap=True)


def _inbox(console: Console, run: Run, inbox: Inbox) -> None:
    """One actor's awaiting list (run.awaiting), or what its units wait on when it is empty."""
    org = run.org
    if not inbox.items:
        console.print(f"Inbox of {inbox.who}: run.awaiting() is empty; its units wait on:", markup=False)
        for action in inbox.stuck:
            reasons = "; ".join(action.waits_on)
            console.print(
                f"  {org.name_of(action.unit)} {action.label}: {reasons}", markup=False, soft_wrap=True
            )
        return
    table = Table(title=f"Inbox of {inbox.who}: run.awaiting()")
    table.add_column("unit")
    table.add_column("event")
    table.add_column("to do")
    table.add_column("since")
    table.add_column("waits on")
    for item in inbox.items:
        table.add_row(
            org.name_of(item.unit),
            item.label,
            item.action,
            item.since[:16] or "start",
            "\n".join(item.waits_on),
        )
    console.print(table)
