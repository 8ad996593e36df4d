"""The HTML dashboard in a real browser: headless Chromium renders its key parts, offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import campaignflow as cf
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.zhongmou import zhongmou_org
from campaignflow.report.as_of import run_as_of
from campaignflow.report.build import build_report
from campaignflow.report.dashboard import HEIGHT, TOP
from conftest import system_program

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "artefacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Test-only probe, appended to a copy: measures the key elements once rendered.
PROBE = """<script>
const ids = ["title", "summary", "funnel", "heatmap", "blocked", "board"];
const seen = Object.fromEntries(ids.map(id => {
  const r = document.getElementById(id).getBoundingClientRect();
  return [id, r.width > 0 && r.height > 0];
}));
seen.rows = document.querySelectorAll("tr.heat-row").length;
document.title = "PROBE" + JSON.stringify(seen);
</script>"""


# Test-only probe for the timeline: each drawn series, its values and where its points were laid out.
TIMELINE_PROBE = """<script>
const svg = document.getElementById("timeline");
const lines = [...svg.querySelectorAll("polyline.series")].map(p => ({
  stage: p.dataset.stage,
  values: p.dataset.values.split(",").map(Number),
  ys: [...Array(p.points.numberOfItems).keys()].map(i => p.points.getItem(i).y),
  width: p.getBBox().width,
}));
const box = svg.getBoundingClientRect();
document.title = "PROBE" + JSON.stringify({
  lines, ends: svg.dataset.ends.split(","), shown: box.width > 0 && box.height > 0,
});
</script>"""


# Test-only probe for the drill-downs: which sections are laid out, before and after a
# township's link is clicked, and the counts the one shown draws.
DRILL_PROBE = """<script>
window.addEventListener("load", () => {
  const laidOut = () => [...document.querySelectorAll("section.drill")]
    .filter(s => s.getBoundingClientRect().height > 0).map(s => s.dataset.unit);
  const counts = unit => {
    const p = "unit-" + unit + "-";
    const cards = ["units", "blocked-count", "sent-back", "stage-overdue", "duties-overdue"]
      .map(id => Number(document.getElementById(p + id).querySelector("b").textContent));
    const funnel = [...document.getElementById(p + "funnel").querySelectorAll("text.funnel-n")]
      .map(t => [t.dataset.stage, Number(t.textContent)]);
    const rows = [...document.getElementById(p + "heatmap").querySelectorAll("tr.heat-row")]
      .map(tr => [tr.dataset.unit, [...tr.cells].slice(1).map(td => Number(td.textContent))]);
    const box = document.getElementById("unit-" + unit).getBoundingClientRect();
    return {cards, funnel, rows, top: box.top, height: box.height};
  };
  const before = laidOut();
  const target = location.hash.slice("#unit-".length);
  const landed = target ? counts(target) : null;
  const link = document.querySelector('tr.heat-row[data-unit="t-05"] a');
  link.click();
  document.title = "PROBE" + JSON.stringify({
    before, landed, href: link.getAttribute("href"), after: laidOut(), clicked: counts("t-05"),
  });
});
</script>"""


@pytest.fixture(scope="module")
def run() -> cf.Run:
    """The mass-line campaign simulated over Zhongmou (seed 1), in memory, once for this module."""
    return simulate(zhongmou_org(), seed=1).run


def _probe(chromium: str, html: str, probe: str, fragment: str = "") -> dict[str, object]:
    """Render ``html`` (at ``#fragment``) with ``probe`` appended in headless Chromium; the probe's JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "probe.html"
        page.write_text(html.replace("</body>", probe + "</body>"), encoding="utf-8")
        url = page.as_uri() + (f"#{fragment}" if fragment else "")
        dom = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=600,  # a guard against a hung browser, not a speed check
            check=True,
        ).stdout
    found = re.search(r"<title>PROBE(.*?)</title>", dom)
    assert found is not None, "the probe did not run"
    data: dict[str, object] = json.loads(found.group(1).replace("&quot;", '"'))
    return data


def _screenshot(chromium: str, html: str, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    page = ARTEFACTS / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    png = ARTEFACTS / f"{name}.png"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={Path(tmp) / 'profile'}",
                f"--screenshot={png}",
                "--window-size=1100,1600",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=600,  # a guard against a hung browser, not a speed check
            check=True,
        )
    return png


def _stage_at(run: cf.Run, unit: str, when: datetime) -> str:
    """The unit's stage at ``when`` from its own history: the reference the chart must match."""
    stage = run.definition.initial
    for step in run.history(unit):
        if datetime.fromisoformat(step.at) <= when and step.kind in {cf.Kind.FIRE, cf.Kind.SEND_BACK}:
            stage = step.dest
    return stage


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path (scripts/chromium.sh installs it when missing); CI never skips."""
    return system_program("chromium.sh", "chromium")


def test_dashboard_renders_in_chromium(chromium: str, run: cf.Run) -> None:
    """Every key part is laid out with a size, the 14 townships are rows; a screenshot is kept."""
    html = cf.build_report(run).to_html()
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / "dashboard.html").write_text(html, encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.html"
        probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
        profile = Path(tmp) / "profile"
        dom = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", probe.as_uri()],
            capture_output=True,
            text=True,
            timeout=600,  # a guard against a hung browser, not a speed check
            check=True,
        ).stdout
        subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={ARTEFACTS / 'dashboard.png'}",
                "--window-size=1100,1600",
                (ARTEFACTS / "dashboard.html").as_uri(),
            ],
            capture_output=True,
            timeout=600,  # a guard against a hung browser, not a speed check
            check=True,
        )
    found = re.search(r"<title>PROBE(.*?)</title>", dom)
    assert found is not None, "the probe did not run"
    seen = json.loads(found.group(1).replace("&quot;", '"'))
    assert seen == {
        "title": True,
        "summary": True,
        "funnel": True,
        "heatmap": True,
        "blocked": True,
        "board": True,
        "rows": 14,
    }
    assert (ARTEFACTS / "dashboard.png").stat().st_size > 10_000
    assert shutil.which(chromium) or Path(chromium).exists()


@pytest.mark.parametrize("day", ["2014-03-20", "2014-04-10"])
def test_timeline_draws_the_logs_counts(chromium: str, run: cf.Run, day: str) -> None:
    """At two dates: one series per stage, its values and its drawn heights equal the log's counts."""
    at = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    report = build_report(run_as_of(run.definition, run.org, run.store, at), at_reason=f"--at {day}")
    html = report.to_html()
    seen = _probe(chromium, html, TIMELINE_PROBE)
    assert seen["shown"] is True
    ends = [datetime.fromisoformat(e) for e in seen["ends"]]  # type: ignore[attr-defined]
    assert ends[-1] == at
    lines = seen["lines"]
    assert [line["stage"] for line in lines] == list(run.definition.leaves)  # type: ignore[attr-defined]
    expected: dict[str, list[int]] = {s: [] for s in run.definition.leaves}
    for i, end in enumerate(ends):
        moment = end if i == len(ends) - 1 else end - timedelta(microseconds=1)
        where = Counter(_stage_at(run, u, moment) for u in run.org)
        for s, series in expected.items():
            series.append(where.get(s, 0))
    peak = max(max(v) for v in expected.values())
    for line in lines:  # type: ignore[attr-defined]
        assert line["values"] == expected[line["stage"]], line["stage"]
        assert line["width"] > 0
        drawn = [round(TOP + HEIGHT * (1 - v / peak), 1) for v in line["values"]]
        assert [round(y, 1) for y in line["ys"]] == pytest.approx(drawn, abs=0.11)
    assert any(v for line in lines for v in line["values"][1:] if line["stage"] != run.definition.initial)  # type: ignore[attr-defined]
    assert f"as of {day} 00:00 UTC" in html
    assert _screenshot(chromium, html, f"dashboard-{day}").stat().st_size > 10_000


def _counts(report: cf.Report) -> dict[str, object]:
    """What a drill-down section must draw for ``report``, in the probe's shape."""
    return {
        "cards": [
            report.total,
            len(report.blocked),
            sum(b.sent_back for b in report.board),
            report.overdue,
            report.duties_overdue,
        ],
        "funnel": [[s, n] for s, n in zip(report.stages, report.funnel, strict=True)],
        "rows": [[r.unit, [*r.by_stage, r.blocked, r.sent_back]] for r in report.rows],
    }


def test_each_township_opens_its_own_drill_down_page(chromium: str, run: cf.Run) -> None:
    """No drill-down shows until a township is named.

    #unit-t-03 (官渡镇) and a click on 万滩镇's row each show exactly that
    township's section, at the top of the window, drawing build_report(run, township).
    """
    html = cf.build_report(run, drill_down=True).to_html()
    seen = _probe(chromium, html, DRILL_PROBE)
    assert seen["before"] == []
    assert seen["href"] == "#unit-t-05"
    assert seen["after"] == ["t-05"]
    clicked = seen["clicked"]
    assert {k: clicked[k] for k in ("cards", "funnel", "rows")} == _counts(cf.build_report(run, "t-05"))  # type: ignore[index]
    assert clicked["height"] > 0  # type: ignore[index]
    landed = _probe(chromium, html, DRILL_PROBE, fragment="unit-t-03")
    assert landed["before"] == ["t-03"]
    section = landed["landed"]
    assert {k: section[k] for k in ("cards", "funnel", "rows")} == _counts(cf.build_report(run, "t-03"))  # type: ignore[index]
    assert abs(section["top"]) < 2  # type: ignore[index]  # scrolled to it
    page = cf.build_report(run, "t-03").to_html()
    assert _screenshot(chromium, page, "township-t-03").stat().st_size > 10_000
