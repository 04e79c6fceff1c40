"""Browser-test fixtures: the real app under `streamlit run`, driven by the system Chromium.

Each server gets its own fresh SQLite file and a free loopback port. Playwright never
downloads a browser here: it launches Debian's /usr/bin/chromium, and every test in
this folder skips with a clear reason when that is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.server import (
    ADMIN_NAME,
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    create_user_with_cli,
    start_server,
    stop,
)

BROWSER_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Skip every browser test, with the reason, when there is no system Chromium."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed: browser tests skipped")
    for item in items:
        if BROWSER_TESTS in Path(item.path).resolve().parents:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, add what the browser showed and what the server printed to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    page = funcargs.get("page")
    if page is not None:
        try:
            shown = page.locator("body").inner_text(timeout=2_000)
        except Exception as error:  # the page may be gone; the report matters more
            shown = f"(could not read the page: {error})"
        report.sections.append((f"browser page at {page.url}", shown))
    for name in ("fresh_server", "admin_server"):
        server = funcargs.get(name)
        if server is not None:
            report.sections.append((f"streamlit output ({name})", server.output()[-5_000:]))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch options, pointed at the system Chromium, headless."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """No fixed base URL: every server listens on a port of its own (see the fixtures below).

    This also replaces pytest-playwright 0.10's own `base_url`, a fixture defined on a
    plugin instance, which pytest 9 warns about (PytestRemovedIn10Warning).
    """
    return None


@pytest.fixture
def fresh_server(tmp_path) -> Iterator[Server]:
    """The app on an empty database of its own, for a test that needs the first-run screen."""
    server, process = start_server(tmp_path)
    yield server
    stop(process)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory) -> Iterator[Server]:
    """The app on a database with one administrator (ada), made with the command line.

    Shared by the tests of a module that only read or fail to log in; a test that needs an
    empty database uses `fresh_server` instead.
    """
    directory = tmp_path_factory.mktemp("admin_server")
    database_url = f"sqlite:///{directory / 'browser.db'}"
    create_user_with_cli(database_url, ADMIN_USERNAME, ADMIN_PASSWORD,
                         "--role", "admin", "--name", ADMIN_NAME)
    server, process = start_server(directory)
    assert server.database_url == database_url
    yield server
    stop(process)
