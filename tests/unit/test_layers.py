"""The layers, as the tree shows them: pages/ -> dashboard/ -> models/.

- Only the pages, the entry script and the glue package dashboard/web import Streamlit.
- The pages take nothing from models/: the codes and their labels come from the dashboard.
- models/ imports nothing of the app.
- Only dashboard/config.py reads the environment.
- No module of the app is over 500 lines.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD, MODELS, PAGES = ROOT / "dashboard", ROOT / "models", ROOT / "pages"
APP_CODE = sorted([*DASHBOARD.rglob("*.py"), *MODELS.rglob("*.py"), *PAGES.rglob("*.py")])
MAY_IMPORT_STREAMLIT = (PAGES, DASHBOARD / "web", DASHBOARD / "app.py")
MAX_LINES = 500


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def top(module: str) -> str:
    return module.split(".")[0]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def environment_reads(path: Path, root: Path = ROOT) -> list[str]:
    """Uses of os.environ, os.getenv, os.putenv and os.unsetenv, in line order."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv",
                                                              "unsetenv")
                and getattr(node.value, "id", None) == "os"):
            found.append((node.lineno, f"os.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                alias.name in ("environ", "getenv") for alias in node.names):
            found.append((node.lineno, "from os import"))
    return [f"{path.relative_to(root)}:{line} {what}" for line, what in sorted(found)]


def test_only_pages_the_entry_script_and_web_import_streamlit():
    importers = [relative(path) for path in APP_CODE
                 if "streamlit" in {top(m) for m in imported_modules(path)}]
    assert importers, "the check found no importer at all"
    assert [p for p in importers
            if not any(ROOT / p == place or (ROOT / p).is_relative_to(place)
                       for place in MAY_IMPORT_STREAMLIT)] == []


def test_pages_take_nothing_from_models():
    assert [relative(path) for path in PAGES.rglob("*.py")
            if "models" in {top(m) for m in imported_modules(path)}] == []


def test_models_know_nothing_of_the_app():
    assert [relative(path) for path in MODELS.rglob("*.py")
            if {top(m) for m in imported_modules(path)} & {"dashboard", "pages",
                                                            "streamlit"}] == []


def test_only_the_settings_module_reads_the_environment():
    reads = [read for path in APP_CODE for read in environment_reads(path)]
    assert reads and all(read.startswith("dashboard/config.py:") for read in reads), reads


def test_no_module_of_the_app_is_over_500_lines():
    long = {relative(path): n for path in APP_CODE
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_checks_find_what_they_look_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nimport streamlit as st\nfrom models import User\n"
                      "x = os.environ.get('A')\ny = os.getenv('B')\n")
    assert imported_modules(sample) == {"os", "streamlit", "models"}
    assert environment_reads(sample, root=tmp_path) == ["sample.py:4 os.environ",
                                                        "sample.py:5 os.getenv"]

