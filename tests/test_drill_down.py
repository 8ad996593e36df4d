"""A page per township: the dashboard's drill-downs and `report DB NODE`, read back as plain HTML."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import campaignflow as cf
from campaignflow import _demo
from campaignflow.cli import main
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.zhongmou import zhongmou_org
from campaignflow.report.as_of import default_moment
from campaignflow.report.build import Report

VOID = {"br", "meta", "img", "hr", "input", "link"}


@attrs.define
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = attrs.field(factory=list)
    text: list[str] = attrs.field(factory=list)

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def walk(self) -> list[Element]:
        return [self, *(e for c in self.children for e in c.walk())]


class _Tree(HTMLParser):
    """A minimal DOM of the page: elements with their attributes, text and children."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attributes})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].text.append(data)


def parse(html: str) -> dict[str, Element]:
    """The page's elements by id (each id once)."""
    tree = _Tree()
    tree.feed(html)
    tree.close()
    assert tree.open == [tree.root], "unclosed elements"
    ids: dict[str, Element] = {}
    for e in tree.root.walk():
        if "id" in e.attrs:
            assert e.attrs["id"] not in ids, f"id {e.attrs['id']!r} twice"
            ids[e.attrs["id"]] = e
    return ids


@attrs.frozen
class Shown:
    """The counts a page shows for one report."""

    cards: tuple[int, ...]
    funnel: tuple[tuple[str, int], ...]
    rows: tuple[tuple[str, tuple[int, ...], int, int], ...]


def shown(ids: dict[str, Element], p: str) -> Shown:
    """The counts drawn under the ids prefixed ``p`` ("" for the page's own report)."""
    cards = tuple(
        int(next(e for e in ids[p + c].walk() if e.tag == "b").all_text())
        for c in ("units", "blocked-count", "sent-back", "stage-overdue", "duties-overdue")
    )
    funnel = tuple(
        (e.attrs["data-stage"], int(e.all_text()))
        for e in ids[p + "funnel"].walk()
        if e.attrs.get("class") == "funnel-n"
    )
    tables = [ids[p + "heatmap"], *([ids[p + "heatmap-more"]] if p + "heatmap-more" in ids else [])]
    rows = []
    for table in tables:
        for tr in (e for t in table.walk() for e in [t] if e.attrs.get("class") == "heat-row"):
            cells = [int(td.all_text()) for td in tr.children[1:]]
            rows.append((tr.attrs["data-unit"], tuple(cells[:-2]), cells[-2], cells[-1]))
    return Shown(cards=cards, funnel=funnel, rows=tuple(rows))


def expected(report: Report) -> Shown:
    """What ``report`` says the page must show."""
    return Shown(
        cards=(
            report.total,
            len(report.blocked),
            sum(b.sent_back for b in report.board),
            report.overdue,
            report.duties_overdue,
        ),
        funnel=tuple(zip(report.stages, report.funnel, strict=True)),
        rows=tuple((r.unit, r.by_stage, r.blocked, r.sent_back) for r in report.rows),
    )


@pytest.fixture(scope="module")
def run() -> cf.Run:
    """The mass-line campaign simulated over Zhongmou (seed 1), in memory."""
    return simulate(zhongmou_org(), seed=1).run


class TestDashboardDrillDowns:
    def test_each_township_links_to_its_own_section_with_its_own_counts(self, run: cf.Run) -> None:
        """Every township row links to #unit-ID, whose section shows build_report(run, township)'s counts."""
        report = cf.build_report(run, drill_down=True)
        townships = [row.unit for row in report.rows]
        assert len(townships) == 14
        assert [d.node for d in report.drill_downs] == townships
        ids = parse(report.to_html())
        assert shown(ids, "") == expected(report)
        for row in ids["heatmap"].walk():
            if row.attrs.get("class") == "heat-row":
                (link,) = (e for e in row.walk() if e.tag == "a")
                assert link.attrs["href"] == f"#unit-{row.attrs['data-unit']}"
                assert link.all_text() == run.org.name_of(row.attrs["data-unit"])  # its name, not its id
        for township in townships:
            section = ids[f"unit-{township}"]
            assert section.tag == "section"
            assert section.attrs["class"] == "drill"
            alone = cf.build_report(run, township)
            assert shown(ids, f"unit-{township}-") == expected(alone), township
            assert ids[f"unit-{township}-title"].all_text().startswith(run.org.name_of(township))
            # The villages are rows of it, by name; they have nothing below to drill into.
            assert {r.unit for r in alone.rows} == set(run.org.children(township))
            assert f"unit-{township}-timeline" in ids

    def test_a_drill_down_reads_the_log_only_when_its_parent_report_does(
        self, run: cf.Run, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Past the limit the whole report has no ledger, duties or timeline, nor have its townships'."""
        townships = [row.unit for row in cf.build_report(run).rows]
        biggest = max(len(list(run.org.subtree(t))) for t in townships)
        monkeypatch.setattr("campaignflow.report.build.LEDGER_LIMIT", biggest)
        report = cf.build_report(run, drill_down=True)
        assert (report.timeline, report.ledger, report.duties) == (None, (), {})
        assert [d.node for d in report.drill_downs] == townships
        for drill in report.drill_downs:
            assert (drill.timeline, drill.ledger, drill.duties) == (None, (), {}), drill.node
        alone = cf.build_report(run, townships[0])  # on its own it is small
        assert alone.timeline is not None
        assert alone.duties

    def test_without_drill_down_the_page_has_no_sections_and_no_links(self, run: cf.Run) -> None:
        report = cf.build_report(run)
        assert report.drill_downs == ()
        html = report.to_html()
        assert 'class="drill"' not in html
        assert 'href="#unit-' not in html

    def test_long_tables_are_folded_with_their_counts(self, run: cf.Run) -> None:
        """A township's blocked, 曝光台 and ledger tables show 10 rows, the rest folded with the count."""
        report = cf.build_report(run, drill_down=True)
        ids = parse(report.to_html())
        folded = 0
        for d in report.drill_downs:
            for table, items in (("blocked", d.blocked), ("board", d.board), ("ledger", d.ledger)):
                more = ids.get(f"unit-{d.node}-{table}-more")
                if len(items) <= 10:
                    assert more is None, (d.node, table)
                    continue
                assert more is not None, (d.node, table)
                assert more.tag == "details"
                assert f"{len(items) - 10} more of {len(items)}" in more.all_text()
                rows = [e for e in ids[f"unit-{d.node}-{table}"].walk() if e.tag == "tr"]
                assert len(rows) == 1 + 10  # the header, then the first ten
                folded += 1
        assert folded >= 14  # every township's ledger is longer than ten owners


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county demo written once for this module."""
    path = tmp_path_factory.mktemp("demo") / "zm.db"
    _demo.run_demo(seed=0, db=path, scale="county")
    return path


class TestReportNode:
    def test_report_db_node_writes_the_townships_page(self, db: Path, tmp_path: Path) -> None:
        """`report DB t-01 --format html --out` draws build_report(run, "t-01"), as --unit t-01 does."""
        out = tmp_path / "t01.html"
        args = ["report", str(db), "t-01", "--format", "html", "--out", str(out)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        campaign, org, store = _open(db)
        run = campaign.open(org, store, clock=cf.FixedClock(default_moment(store).at))
        township = cf.build_report(run, "t-01")
        page = out.read_text(encoding="utf-8")
        ids = parse(page)
        assert shown(ids, "") == expected(township)
        assert ids["title"].all_text().endswith(org.name_of("t-01"))
        by_option = tmp_path / "unit.html"
        args = ["report", str(db), "--unit", "t-01", "--format", "html", "--out", str(by_option)]
        assert CliRunner().invoke(main, args).exit_code == 0
        assert by_option.read_text(encoding="utf-8") == page

    def test_the_dashboard_of_the_db_drills_into_every_township(self, db: Path, tmp_path: Path) -> None:
        out = tmp_path / "all.html"
        result = CliRunner().invoke(main, ["report", str(db), "--format", "html", "--out", str(out)])
        assert result.exit_code == 0, result.output
        ids = parse(out.read_text(encoding="utf-8"))
        campaign, org, store = _open(db)
        run = campaign.open(org, store, clock=cf.FixedClock(default_moment(store).at))
        for row in cf.build_report(run).rows:
            assert shown(ids, f"unit-{row.unit}-") == expected(cf.build_report(run, row.unit)), row.unit

    def test_node_and_unit_must_agree(self, db: Path) -> None:
        result = CliRunner().invoke(main, ["report", str(db), "t-01", "--unit", "t-02"])
        assert result.exit_code == 2
        assert "two units" in result.output

    def test_an_unknown_node_is_a_usage_error(self, db: Path) -> None:
        result = CliRunner().invoke(main, ["report", str(db), "t-99"])
        assert result.exit_code == 2
        assert result.output.startswith("error:")


def _open(db: Path) -> tuple[cf.Campaign, cf.Org, cf.Store]:
    from campaignflow.cli._app import open_db  # noqa: PLC0415 - the CLI's own reading of DB

    campaign, org, store = open_db(str(db), None, None)
    return campaign, org, store
