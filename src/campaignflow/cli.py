"""The ``campaignflow`` command line. The only module that prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table

from campaignflow.exceptions import CampaignflowError

if TYPE_CHECKING:
    from campaignflow._demo import DemoResult

T = TypeVar("T")
SCALES = ("county", "province", "national")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)  # one line, never wrapped
    sys.exit(1)


def _guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; what the user's input or environment caused becomes one clear line, never a traceback.

    A CampaignflowError or an OS error (a file that cannot be read or written)
    exits 1; an interrupt (Ctrl-C) exits 130, as shells expect.
    """
    try:
        return fn()
    except CampaignflowError as exc:
        _fail(str(exc).splitlines()[0])
        raise  # pragma: no cover - _fail exits
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}")
        raise  # pragma: no cover - _fail exits
    except KeyboardInterrupt:
        click.echo("interrupted: nothing half-written was left behind", err=True)
        sys.exit(130)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="campaignflow")
def main() -> None:
    """Run, check and inspect multi-stage inspection campaigns."""


@main.command()
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

        result = _guard(lambda: _demo.run_demo(seed=seed, db=db, scale=scale, on_progress=say))
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

        result = _guard(lambda: _demo.run_demo(seed=seed, db=db, scale=scale, on_progress=progress))
    _show(console, result)


def _show(console: Console, result: DemoResult) -> None:
    run = result.run
    d = run.definition
    console.print(
        f"[bold]{d.label}[/bold] over {run.org.name_of(run.org.root())}: "
        f"{len(run.org)} units, {result.steps} steps in {result.seconds:.1f} s"
    )
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
    console.print(f"refused attempts: {result.refused}   send-backs: {result.sent_back}")
    console.print(f"first refusal, as a clerk reads it:\n{result.example}", markup=False, soft_wrap=True)
    console.print(f"replay check: {'ok' if result.verified else 'MISMATCH'}  database: {result.db}")
    console.print(f"dashboard: {result.dashboard.resolve()}", soft_wrap=True)


@main.command()
@click.argument("db")
@click.option("--campaign", "campaign_ref", help="MODULE:ATTR of the campaign (default: recorded in DB).")
@click.option(
    "--org",
    "org_path",
    type=click.Path(path_type=Path),
    help="Org as JSON or units.csv (default: recorded in DB).",
)
def verify(db: str, campaign_ref: str | None, org_path: Path | None) -> None:
    """Replay DB's log: check every unit's hash chain and compare with the projection.

    Exits 0 when the log and the projection agree, 1 naming the first bad step or
    unit otherwise. DB is a SQLite file or an SQLAlchemy URL.

    Example: campaignflow verify zhongmou-demo.db
    """

    def check() -> tuple[bool, str]:
        campaign, org, store = _open_db(db, campaign_ref, org_path)
        report = campaign.verify(org, store)
        if report.ok:
            return True, f"ok: {report.steps} steps of {report.units} units replay to the stored projection"
        where = f"seq {report.seq}" if report.seq is not None else f"unit {report.unit!r}"
        return False, f"MISMATCH at {where}: {report.problem}"

    ok, line = _guard(check)
    print(line)
    sys.exit(0 if ok else 1)


@main.command()
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

    TARGET is MODULE:ATTR, a Campaign or a zero-argument callable returning one.
    Exits 1 when an error is found (warnings alone exit 0): usable in CI.

    Example: campaignflow check campaignflow.presets.mass_line:campaign
    """
    from campaignflow import _targets  # noqa: PLC0415 - keep --help fast

    report = _guard(lambda: _targets.load_campaign(target).check(budget=budget))
    print(report.to_json() if fmt == "json" else report.text())
    sys.exit(0 if report.ok else 1)


def _open_db(db: str, campaign_ref: str | None, org_path: Path | None) -> tuple[Any, Any, Any]:
    """(campaign, org, store) of a database written by campaignflow."""
    from campaignflow import _targets  # noqa: PLC0415 - keep --help fast
    from campaignflow.org.graph import Org  # noqa: PLC0415
    from campaignflow.store import SQLStore  # noqa: PLC0415

    store = SQLStore(_targets.store_url(db))
    ref = campaign_ref or store.meta("factory")
    if ref is None:
        msg = f"{db} does not record its campaign: pass --campaign MODULE:ATTR"
        raise _targets.TargetError(msg)
    campaign = _targets.load_campaign(ref)
    if org_path is not None:
        org = _targets.load_org(org_path)
    else:
        recorded = store.meta("org")
        if recorded is None:
            msg = f"{db} does not record its org: pass --org FILE"
            raise _targets.TargetError(msg)
        org = Org.from_json(recorded)
    return campaign, org, store


_CAMPAIGN = click.option(
    "--campaign", "campaign_ref", help="MODULE:ATTR of the campaign (default: recorded in DB)."
)
_ORG = click.option("--org", "org_path", type=click.Path(path_type=Path), help="Org as JSON or units.csv.")


@main.command()
@click.argument("db")
@click.option("--unit", default=None, help="Report on this unit's subtree (default: the whole org).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]), default="text", show_default=True
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout."
)
@_CAMPAIGN
@_ORG
def report(  # noqa: PLR0917 - click passes every option positionally
    db: str, unit: str | None, fmt: str, out: Path | None, campaign_ref: str | None, org_path: Path | None
) -> None:
    """Report progress, blocked units and why, the 曝光台, overdue units and the ledger.

    Example: campaignflow report zhongmou-demo.db --unit t-01 --format html --out t01.html
    """

    from campaignflow.report.build import build_report  # noqa: PLC0415 - keep --help fast

    def build() -> Any:
        campaign, org, store = _open_db(db, campaign_ref, org_path)
        err = Console(stderr=True)
        if not err.is_terminal:  # keep piped output clean
            return build_report(campaign.open(org, store), unit)
        with Bar(TextColumn("{task.description}"), console=err, transient=True) as bar:
            bar.add_task("opening the run", total=None)
            run = campaign.open(org, store)
        return build_report(run, unit)

    result = _guard(build)
    if fmt == "text":
        text = _report_text(result)
    else:
        text = {"json": result.to_json, "csv": result.to_csv, "html": result.to_html}[fmt]()
    if out is not None:
        from campaignflow._files import write_text_atomically  # noqa: PLC0415 - keep --help fast

        _guard(lambda: write_text_atomically(out, text))
        print(f"wrote {out}")
    else:
        print(text)


def _report_text(result: Any) -> str:
    console = Console(record=True, width=120)
    table = Table(title=f"{result.campaign} — {result.node_name}: {result.total} units")
    table.add_column("unit", no_wrap=True)
    for label in result.stage_labels:
        table.add_column(label[:4], justify="right")
    table.add_column("blocked", justify="right")
    table.add_column("返工", justify="right")
    for row in result.rows:
        table.add_row(row.name, *(str(n) for n in row.by_stage), str(row.blocked), str(row.sent_back))
    console.print(table)
    for b in result.blocked[:20]:
        console.print(
            f"blocked {result.names.get(b.unit, b.unit)} ({b.event}): {'; '.join(b.reasons)}", markup=False
        )
    for label, c in result.duties.items():
        console.print(f"{label}: {c['done']} done, {c['due']} due, {c['overdue']} overdue", markup=False)
    for line in result.late[:20]:
        console.print(f"overdue {line}", markup=False)
    return console.export_text()


@main.command()
@click.argument("db")
@click.option("--unit", default=None, help="Only duties toward this unit's subtree (default: the whole org).")
@click.option("--at", "at", default=None, help="Judge at this ISO date or time, UTC if naive (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_CAMPAIGN
@_ORG
def obligations(  # noqa: PLR0917 - click passes every option positionally
    db: str, unit: str | None, at: str | None, fmt: str, campaign_ref: str | None, org_path: Path | None
) -> None:
    """What is done, due and overdue: contact visits, diaries and other recurring duties.

    Exits 1 when a duty is overdue.

    Example: campaignflow obligations zhongmou-demo.db --unit t-01 --at 2014-04-22
    """
    from campaignflow.definition.obligations import as_time  # noqa: PLC0415 - keep --help fast

    def judge() -> Any:
        when = None
        if at is not None:
            try:
                when = as_time(at, datetime.now(UTC))
            except ValueError:
                msg = f"--at {at!r} is not an ISO date or time (e.g. 2014-04-22 or 2014-04-22T09:00)"
                raise click.BadParameter(msg) from None
        campaign, org, store = _open_db(db, campaign_ref, org_path)
        return campaign.open(org, store).obligations(unit, now=when)

    result = _guard(judge)
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) if fmt == "json" else result.explain())
    sys.exit(1 if result.overdue else 0)


@main.command()
@click.argument("db")
@click.argument("unit")
@click.argument("event")
@_CAMPAIGN
@_ORG
def explain(db: str, unit: str, event: str, campaign_ref: str | None, org_path: Path | None) -> None:
    """Why can (or can't) UNIT fire EVENT now? Prints the verdict, rule by rule.

    Example: campaignflow explain zhongmou-demo.db v-0101 hold_meeting
    """

    def run_check() -> Any:
        campaign, org, store = _open_db(db, campaign_ref, org_path)
        return campaign.open(org, store).check(unit, event)

    verdict = _guard(run_check)
    print(verdict.explain())
    sys.exit(0 if verdict.passed else 1)


@main.command()
@click.argument("target")
@click.option("--org", "org_path", type=click.Path(path_type=Path), help="Draw this org's tree instead.")
def diagram(target: str, org_path: Path | None) -> None:
    """Print the campaign's stage machine as mermaid text, gates on the edges.

    TARGET is MODULE:ATTR (a Campaign or a zero-argument callable returning one).
    With --org FILE (JSON or units.csv, up to 200 units) the org tree is drawn.

    Example: campaignflow diagram campaignflow.presets.mass_line:campaign > campaign.mmd
    """
    from campaignflow import _targets  # noqa: PLC0415 - keep --help fast

    if org_path is not None:
        print(_guard(lambda: _targets.load_org(org_path).to_mermaid()))
        return
    print(_guard(lambda: _targets.load_campaign(target).diagram()))
