"""One module reads the wall clock: dashboard/clock.py. Everything else is given `now`.

(Durations are another matter: time.monotonic and time.perf_counter measure them, and
read no date.)
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = [*sorted((ROOT / "dashboard").rglob("*.py")), *sorted((ROOT / "models").rglob("*.py")),
            *sorted((ROOT / "pages").rglob("*.py"))]
THE_CLOCK = ROOT / "dashboard" / "clock.py"
# Calls that read the wall clock: (what the call is made on, the function).
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
              ("date", "today"), ("time", "time"), ("time", "time_ns"),
              ("time", "localtime"), ("time", "gmtime"), ("time", "ctime")}


def wall_clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in WALL_CLOCK:
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                found.append(f"{where}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_only_the_clock_module_reads_the_wall_clock():
    assert [read.split(" ")[1] for read in wall_clock_reads(THE_CLOCK)] == ["datetime.now()"]
    reads = [read for path in APP_CODE if path != THE_CLOCK for read in wall_clock_reads(path)]
    assert reads == []


def test_the_check_finds_a_read_of_the_wall_clock(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import time\nfrom datetime import date\nx = date.today()\n"
                      "y = time.time()\nz = time.monotonic()\n")
    assert wall_clock_reads(sample) == ["sample.py:3 date.today()", "sample.py:4 time.time()"]
