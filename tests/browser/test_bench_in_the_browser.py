"""`python -m dashboard bench --browser` at a tiny scale: every screen of SPEC section 10
opened in Chromium as its viewer would, at 1280 px and on a phone, each with its time
(reported, never asserted: speed is the benchmark's to say) and its height."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.browser.server import REPO_ROOT

SCREENS = ("Today", "My progress", "Weekly review", "Sponsee detail", "Caseload", "Alerts",
           "Client detail")
# A detail screen with nobody picked is a picker and a line, under 1,000 px at 1280 px:
# the screens opened on a person are taller.
NOBODY_PICKED_PX = 1_000


def test_bench_opens_every_screen_in_the_browser_at_both_sizes(tmp_path):
    target = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "bench", "--members", "12", "--days", "14",
         "--runs", "1", "--writers", "1", "--write-seconds", "0.2", "--browser",
         "--json", str(target)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'never-used.db'}"},
    )
    assert result.returncode == 0, result.stdout[-3_000:] + result.stderr[-3_000:]
    browser = json.loads(target.read_text())["browser"]
    loads = {(load["screen"], load["size"]): load for load in browser["loads"]}
    assert set(loads) == {(screen, size) for screen in SCREENS for size in ("1280 px", "phone")}
    for (screen, size), load in loads.items():
        assert load["median_ms"] > 0 and load["sideways_px"] == 0, (screen, size, load)
        assert (load["within_height"] is None) == (size == "phone")
    for screen in ("Sponsee detail", "Client detail"):
        assert loads[(screen, "1280 px")]["height_px"] > NOBODY_PICKED_PX, screen
    assert loads[("Today", "phone")]["today_ratio"] == 1.0
    report = result.stdout.split("In the browser (Chromium", 1)[1]
    assert all(f"\n  {screen} " in report for screen in SCREENS)
    assert not (tmp_path / "never-used.db").exists()
