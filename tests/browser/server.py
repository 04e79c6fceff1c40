"""Starting and stopping `streamlit run dashboard/app.py`, and the Chromium that visits
it, for the browser tests (and the benchmark's browser runs)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_DEADLINE_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10

# Debian's Chromium, launched as it must be here: Playwright never downloads a browser.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The administrator that `admin_server` creates with the command line.
ADMIN_USERNAME = "ada"
ADMIN_NAME = "Ada Admin"
ADMIN_PASSWORD = "Quiet harbour lamp 8125"


@dataclass(frozen=True)
class Server:
    """A running `streamlit run dashboard/app.py` and the database it uses."""

    url: str
    database_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


def _wait_until_healthy(server: Server, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while not _healthy(server.url):
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with code {process.returncode} before answering "
                        f"{server.url}/_stcore/health; its output:\n{server.output()}",
                        pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"streamlit did not answer {server.url}/_stcore/health within "
                        f"{STARTUP_DEADLINE_SECONDS} s; its output:\n{server.output()}",
                        pytrace=False)
        time.sleep(0.2)  # polling another process's port: there is no event to await


def start_server(directory: Path, env: dict[str, str] | None = None, *,
                 port: int | None = None, database_url: str | None = None
                 ) -> tuple[Server, subprocess.Popen]:
    """The app on `directory`/browser.db (or `database_url`) and a free loopback port (or
    `port`, to start it again where a browser had it), once it answers health; `env`:
    settings of this server's own (DASHBOARD_IDLE_TIMEOUT_MINUTES, say). Its output goes
    to a log file in `directory`."""
    database_url = database_url or f"sqlite:///{directory / 'browser.db'}"
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    log = directory / f"streamlit-{port}-{time.monotonic_ns()}.log"
    env = {**os.environ, **(env or {}), "DATABASE_URL": database_url}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
             "--server.headless", "true", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT,
        )
    server = Server(url=url, database_url=database_url, log=log)
    try:
        _wait_until_healthy(server, process)
    except BaseException:
        stop(process)
        raise
    return server, process


def load_demo_with_cli(directory: Path, *, members: int, days: int) -> str:
    """`python -m dashboard demo` into a database of its own in `directory`; its URL."""
    database_url = f"sqlite:///{directory / 'browser.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "demo", "--members", str(members),
         "--days", str(days)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "DATABASE_URL": database_url},
    )
    assert result.returncode == 0, result.stderr
    return database_url


def create_user_with_cli(database_url: str, username: str, password: str,
                         *args: str) -> None:
    """`python -m dashboard create-user USERNAME ARGS...`, the password on standard input."""
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "create-user", username, *args],
        cwd=REPO_ROOT, env={**os.environ, "DATABASE_URL": database_url},
        input=f"{password}\n", capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, (
        f"create-user {username} failed ({result.returncode}): {result.stdout}{result.stderr}"
    )
