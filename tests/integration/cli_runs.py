"""Running a command of `python -m dashboard` inside the test process, as its own process
would: settings read afresh from the environment, standard input given, output captured."""

from __future__ import annotations

import io
import sys

from dashboard import config
from dashboard.cli import main


def run(args, capsys, monkeypatch, stdin=""):
    """(exit code, standard output, standard error) of `python -m dashboard ARGS`."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    config.put_in_force(None)  # each command a process of its own, reading the environment
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err
