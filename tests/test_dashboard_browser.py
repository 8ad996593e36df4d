"""The HTML dashboard in a real browser: headless Chromium renders its key parts, offline."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import campaignflow as cf
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.zhongmou import zhongmou_org

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


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path (scripts/chromium.sh installs it when missing); CI never skips."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "chromium.sh")], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        message = f"no chromium: {done.stderr.strip()[-300:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return done.stdout.strip().splitlines()[-1]


def test_dashboard_renders_in_chromium(chromium: str) -> None:
    """Every key part is laid out with a size, the 14 townships are rows; a screenshot is kept."""
    html = cf.build_report(simulate(zhongmou_org(), seed=1).run).to_html()
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
