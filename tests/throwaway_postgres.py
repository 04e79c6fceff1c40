"""A PostgreSQL server of a test's own, which the test may stop and start again: for the
faults a shared server must not suffer (an outage in the middle of a session).

Made with the machine's initdb and pg_ctl (/usr/lib/postgresql/*/bin), run as the
`postgres` user when the tests run as root, on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
from pathlib import Path


def server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayPostgres:
    def __init__(self, folder: Path):
        binaries = server_binaries()
        if binaries is None:
            raise LookupError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.binaries = binaries
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        line = " ".join(shlex.quote(part) for part in command)
        if os.geteuid() == 0:  # the server refuses to run as root
            subprocess.run(["su", "postgres", "-c", line], check=True, capture_output=True,
                           timeout=120)
        else:
            subprocess.run(command, check=True, capture_output=True, timeout=120)

    def create(self) -> ThrowawayPostgres:
        self.data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(self.data, "postgres", "postgres")
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "--encoding", "UTF8")
        return self.start()

    def start(self) -> ThrowawayPostgres:
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.data / "server.log"), "-w", "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self.data} -c fsync=off", "start")
        return self

    def stop(self) -> None:
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                  "stop")

    def remove(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "stop")
        except subprocess.CalledProcessError:
            pass  # stopped already
        shutil.rmtree(self.folder, ignore_errors=True)
