"""Command line: `python -m dashboard COMMAND` (or the `dashboard` script).

Every command honours DATABASE_URL and answers bad input with one clear line on
standard error and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from dashboard import clock, config
from dashboard.config import ConfigError, Settings
from dashboard.errors import ValidationError
from dashboard.faults import DATABASE_UNREACHABLE, DISK_FULL, fault_of
from dashboard.key_guard import open_keys
from models import ROLES
from models.crypto import EncryptionError
from models.db import (
    make_engine,
    make_session_factory,
    schema_is_current,
    upgrade_to_head,
)

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


class CommandError(Exception):
    """A problem to report in one line, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage dump
        raise CommandError(f"{message} (see `python -m dashboard {self.prog.split()[-1]} --help`)"
                           if " " in self.prog else f"{message} (see --help)")


def _engine(settings: Settings, *, check_notes: bool = True, read_only: bool = False,
            sets_up: bool = False):
    """The database of `settings` at the newest schema, with its keys opened and checked
    (dashboard/key_guard.py).

    `read_only`, for a command that only reads: the schema is not upgraded (it must be the
    newest already), and nothing is written to the database's disk, so that the command
    works on a full disk. `sets_up`, for the commands that set up a new database (init,
    create-user, demo): only they may create its key files; no other command ever does."""
    if read_only:
        engine = _read_only_engine(settings)
        if not schema_is_current(engine):
            engine.dispose()
            raise CommandError("the database is not at the newest schema yet; run "
                               "`python -m dashboard init` to upgrade it, then this again",
                               code=EXIT_FAILURE)
    else:
        engine = make_engine(settings.database_url)
        upgrade_to_head(engine)
    try:
        open_keys(settings=settings, engine=engine, now=clock.now(), may_create=sets_up,
                  record=not read_only, check_notes=check_notes, progress=_encryption_progress)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _encryption_progress(done: int, total: int) -> None:
    """The upgrade's encryption of notes stored unencrypted, on a terminal."""
    if sys.stderr.isatty():
        print(f"\rEncrypting notes stored unencrypted: {done:,} of {total:,}", end="",
              file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)


def _sqlite_file(settings: Settings) -> Path | None:
    """The database's file when it is a SQLite file; None for any other database."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _read_only_engine(settings: Settings):
    path = _sqlite_file(settings)
    if path is not None and not path.exists():
        raise CommandError(f"there is no database at {path}")
    return make_engine(settings.database_url, read_only=True)


def cmd_init(args, settings: Settings) -> int:
    engine = _engine(settings, sets_up=True)
    print(f"The database at {make_url(settings.database_url).render_as_string()} "
          "is at the newest schema.")
    engine.dispose()
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password again: ")
        if first != second:
            raise CommandError("the two passwords are not the same")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CommandError("no password on standard input")
    return line.rstrip("\r\n")


def cmd_create_user(args, settings: Settings) -> int:
    from dashboard.users import create_account

    password = _read_password()
    sobriety_date = None
    if args.sobriety_date:
        try:
            sobriety_date = date.fromisoformat(args.sobriety_date)
        except ValueError:
            raise CommandError("--sobriety-date must be a date like 2025-03-14") from None
    engine = _engine(settings, sets_up=True)
    with make_session_factory(engine).begin() as session:
        user_id = create_account(
            session=session, actor=None, username=args.username,
            display_name=args.name or args.username, password=password, roles=args.role,
            timezone=args.timezone, sobriety_date=sobriety_date,
            must_change_password=args.must_change_password, now=clock.now(),
        )
    engine.dispose()
    print(f"Created {args.username.strip().lower()} (id {user_id}) with roles "
          f"{', '.join(sorted(set(args.role)))}.")
    return 0


def cmd_demo(args, settings: Settings) -> int:
    from dashboard.demo import load_demo

    engine = _engine(settings, sets_up=True)

    def progress(fraction: float, message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{fraction:4.0%} {message:<60}", end="", file=sys.stderr, flush=True)

    summary = load_demo(engine=engine, members=args.members, days=args.days, seed=args.seed,
                        now=clock.now(), progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    engine.dispose()
    print(f"Loaded {summary.members} members, {summary.sponsors} sponsors, "
          f"{summary.counselors} counselors, {summary.checkins} check-ins.")
    print(f"Every demo account has the password: {summary.password}")
    sponsors = [a.username for a in summary.accounts if "sponsor" in a.roles]
    counselors = [a.username for a in summary.accounts if "counselor" in a.roles]
    print("Accounts: admin, "
          f"{sponsors[0]}..{sponsors[-1]}, {counselors[0]}..{counselors[-1]}, "
          f"member1..member{summary.members}")
    return 0


def cmd_sweep(args, settings: Settings) -> int:
    from dashboard.flags import sweep

    engine = _engine(settings)
    with make_session_factory(engine).begin() as session:
        raised = sweep(session, now=clock.now(), thresholds=settings.flag_thresholds)
    engine.dispose()
    print(f"Raised {raised} new flag{'' if raised == 1 else 's'} for missed check-ins.")
    return 0


def cmd_reset_two_factor(args, settings: Settings) -> int:
    from dashboard.users import reset_two_factor, user_id_of

    engine = _engine(settings)
    with make_session_factory(engine).begin() as session:
        user_id = user_id_of(session=session, username=args.username)
        reset_two_factor(session=session, actor=None, user_id=user_id, now=clock.now())
    engine.dispose()
    print(f"Two-factor login of {args.username.strip().lower()} is reset, and any lock lifted. "
          "Staff set it up again at their next login.")
    return 0


def cmd_seal(args, settings: Settings) -> int:
    from dashboard.audit_seal import seal_all

    engine = _engine(settings)
    try:
        result = seal_all(make_session_factory(engine), now=clock.now(), full=True)
    finally:
        engine.dispose()
    print(f"Sealed {result.events} audit event{'' if result.events == 1 else 's'} in "
          f"{result.batches} batch{'' if result.batches == 1 else 'es'}.")
    if result.refused:
        print(f"error: {len(result.refused)} events were not sealed, their HMAC is wrong or "
              f"missing (the first: event {result.refused[0]}); run verify-audit",
              file=sys.stderr)
        return EXIT_FAILURE
    return 0


def cmd_verify_audit(args, settings: Settings) -> int:
    from dashboard.audit_verify import (
        AnchorError,
        append_anchor,
        check_anchors,
        read_anchors,
        verify_log,
    )

    anchor_path = Path(args.anchor) if args.anchor else None
    if anchor_path is not None and not anchor_path.parent.is_dir():
        raise CommandError(f"the folder {anchor_path.parent} does not exist")
    try:
        anchors = read_anchors(anchor_path) if anchor_path is not None else []
    except AnchorError as error:
        raise CommandError(str(error), code=EXIT_FAILURE) from None
    now = clock.now()
    engine = _engine(settings, read_only=True)
    try:
        with make_session_factory(engine)() as session:
            report = verify_log(session, now=now)
            cut = check_anchors(session, anchors) if report.intact else None
    finally:
        engine.dispose()
    older = f" ({report.unchained} older events predate the chain)" if report.unchained else ""
    if not report.intact:
        print(f"error: the audit trail was tampered with at event {report.problem_id}: "
              f"{report.problem} ({report.checked} events verified before it){older}",
              file=sys.stderr)
        return EXIT_FAILURE
    if cut is not None:
        print(f"error: the audit trail was tampered with: {cut}", file=sys.stderr)
        return EXIT_FAILURE
    pending = (f"; {report.pending} newer events not sealed yet, their HMACs verified"
               if report.pending else "")
    print(f"The audit trail is intact: {report.checked} events verified in "
          f"{report.batches} sealed batches{pending}{older}.")
    if anchor_path is not None:
        append_anchor(anchor_path, report.newest, now=now)
        print(f"Checked {len(anchors)} earlier anchors; anchored the newest head "
              f"({report.newest.size if report.newest else 0} events) in {anchor_path}.")
    return 0


def cmd_rotate_key(args, settings: Settings) -> int:
    from dashboard.encryption_keys import rotate_key

    # Not checked at start: a note under no key fails the rotation itself, with nothing
    # changed, and notes stored before encryption at rest are what it is there to fix.
    engine = _engine(settings, check_notes=False)
    try:
        rotation = rotate_key(settings=settings, engine=engine, now=clock.now())
    finally:
        engine.dispose()
    result = rotation.result
    if rotation.new_key_generated:
        print(f"Added a new key first in {rotation.source.key_file}; the older keys stay "
              "after it, for backups made before today.")
    plain = (f" ({result.were_unencrypted:,} of them stored unencrypted until now)"
             if result.were_unencrypted else "")
    print(f"Re-encrypted {result.reencrypted:,} of {result.checked:,} encrypted values (notes "
          f"and secrets) with the newest key of {rotation.source.where}{plain}.")
    if rotation.source.key_file is None and len(rotation.source.keys) > 1:
        print("Every note is now under the first key. Remove the older keys from the "
              "variable once every dashboard process runs with the new first key.")
    if result.reencrypted and engine.dialect.name == "postgresql":
        # Replaced values stay in dead row versions until PostgreSQL reuses their space.
        from models import Base, crypto

        tables = sorted({c.table.name for c in crypto.encrypted_columns(Base.metadata)})
        print(f"To remove the replaced values from the database files now, run VACUUM FULL "
              f"on {', '.join(tables)} (it locks each table while it runs).")
    if (rotation.source.key_file is None and len(rotation.source.keys) == 1
            and not result.reencrypted):
        print("To rotate, put a new key first in the variable, keep the current one after "
              "it, restart the dashboard and run this again.")
    return 0


def cmd_backup(args, settings: Settings) -> int:
    from dashboard import backup

    source_path = _sqlite_file(settings)
    if source_path is None:
        raise CommandError("backup copies a SQLite database file; for PostgreSQL use pg_dump")
    if not source_path.exists():
        raise CommandError(f"there is no database at {source_path}")
    target = Path(args.path)
    if target.exists():
        raise CommandError(f"{target} exists already; choose a new file name")
    if not target.parent.is_dir():
        raise CommandError(f"the folder {target.parent} does not exist")
    # Read only, and no keys configured: a backup must work on a full disk, at an older
    # schema (before an upgrade), and with the notes' key lost: when it matters most.
    engine = _read_only_engine(settings)
    try:
        checked = backup.back_up(source=engine, target=target, now=clock.now(),
                                 audit_secret=backup.source_audit_secret(settings=settings))
    except backup.BackupError as error:
        raise CommandError(str(error), code=EXIT_FAILURE) from None
    finally:
        engine.dispose()
    print(f"Backed up {source_path} to {target}.")
    print(checked.summary())
    print(backup.key_reminder(settings=settings))
    return 0


def cmd_bench(args, settings: Settings) -> int:
    import json

    try:
        from benchmarks import (
            BenchError,
            format_report,
            run_benchmark,
            validate_options,
        )
    except ModuleNotFoundError as error:
        # The benchmark is developer tooling beside the app's packages, not installed with
        # them; an error inside it is a bug to show, not this message.
        if error.name != "benchmarks":
            raise
        raise CommandError("the benchmark runs from a checkout of the repository: run "
                           "`python -m dashboard bench` in its root folder",
                           code=EXIT_FAILURE) from None

    validate_options(members=args.members, days=args.days, runs=args.runs,
                     writers=args.writers, write_seconds=args.write_seconds)
    json_path = Path(args.json) if args.json else None
    if json_path is not None and not json_path.parent.is_dir():
        raise CommandError(f"the folder {json_path.parent} does not exist")

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{message[:78]:<78}", end="", file=sys.stderr, flush=True)

    try:
        # Never the database of DATABASE_URL itself, nor its keys: a scratch database
        # beside it, with throwaway keys (see benchmarks/scratch.py).
        report = run_benchmark(
            settings=settings, members=args.members, days=args.days, runs=args.runs,
            writers=args.writers, write_seconds=args.write_seconds,
            explain_plans=args.explain, browser=args.browser, progress=progress,
        )
    except BenchError as error:
        raise CommandError(str(error), code=EXIT_FAILURE) from None
    finally:
        if sys.stderr.isatty():
            print(file=sys.stderr)
    print(format_report(report))
    if json_path is not None:
        json_path.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")
        print(f"Wrote {json_path}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dashboard", description="Recovery case dashboard commands.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    init = commands.add_parser("init", help="create or upgrade the database schema")
    init.set_defaults(handler=cmd_init)

    create = commands.add_parser("create-user", help="create an account; password on stdin")
    create.add_argument("username")
    create.add_argument("--role", action="append", required=True, choices=ROLES,
                        help="a role of the account; repeat for several")
    create.add_argument("--name", help='the full name shown to others, e.g. "Maria Garcia"')
    create.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. America/Chicago")
    create.add_argument("--sobriety-date", help="for members: YYYY-MM-DD (default today)")
    create.add_argument("--must-change-password", action="store_true",
                        help="ask for a new password at the first login")
    create.set_defaults(handler=cmd_create_user)

    demo = commands.add_parser("demo", help="load the demo caseload into an empty database")
    demo.add_argument("--members", type=int, default=60)
    demo.add_argument("--days", type=int, default=180)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=cmd_demo)

    sweep = commands.add_parser("sweep", help="raise the flags for missed check-ins; idempotent")
    sweep.set_defaults(handler=cmd_sweep)

    reset = commands.add_parser(
        "reset-two-factor",
        help="forget an account's authenticator and recovery codes (a lost phone); "
             "for an administrator who cannot log in")
    reset.add_argument("username")
    reset.set_defaults(handler=cmd_reset_two_factor)

    verify = commands.add_parser(
        "verify-audit",
        help="check the audit trail's events, sealed batches and signed heads; names the "
             "first bad event")
    verify.add_argument("--anchor", metavar="FILE",
                        help="a file outside the database: check the heads written there "
                             "before, then add the newest")
    verify.set_defaults(handler=cmd_verify_audit)

    seal = commands.add_parser(
        "seal", help="seal the audit events due into signed batches (the app does it every "
                     "few seconds); idempotent")
    seal.set_defaults(handler=cmd_seal)

    rotate = commands.add_parser(
        "rotate-key",
        help="re-encrypt every stored note with the newest key (on the embedded database: "
             "a new key, added first in the key file)")
    rotate.set_defaults(handler=cmd_rotate_key)

    backup = commands.add_parser("backup", help="online copy of the SQLite database")
    backup.add_argument("path")
    backup.set_defaults(handler=cmd_backup)

    bench = commands.add_parser(
        "bench", help="measure the screens' data at scale in a scratch database")
    bench.add_argument("--members", type=int, default=2000)
    bench.add_argument("--days", type=int, default=365)
    bench.add_argument("--runs", type=int, default=7, help="timed runs after one warm-up")
    bench.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    bench.add_argument("--explain", action="store_true", help="print the query plans")
    bench.add_argument("--writers", type=int, default=8, help="threads saving at once")
    bench.add_argument("--write-seconds", type=float, default=5.0,
                       help="how long the writers keep saving")
    bench.add_argument("--browser", action="store_true", help="also time every screen in "
                       "Chromium (needs requirements-dev.txt and Debian's chromium)")
    bench.set_defaults(handler=cmd_bench)
    return parser


def _failure_line(error: BaseException, *, database_url: str | None) -> str:
    """A failure of the database or the disk in one line: a full disk or an unreachable
    server in plain words (dashboard/faults.py), anything else with the database's or the
    system's own reason, which is what an administrator at the command line needs."""
    fault = fault_of(error, database_url=database_url)
    if fault is not None and fault.kind == DISK_FULL:
        return fault.message(for_admin=True)
    reason = _first_line(error.orig if isinstance(error, OperationalError) else error)
    if fault is not None and fault.kind == DATABASE_UNREACHABLE:
        return f"{fault.message(for_admin=True)} (The database said: {reason.rstrip('.')}.)"
    if isinstance(error, OperationalError):
        return f"cannot use the database: {reason}"
    return f"{type(error).__name__}: {reason}"


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines() if error is not None else []
    return lines[0] if lines else "unknown error"


def main(argv: Sequence[str] | None = None) -> int:
    # Every file a command creates (the database and its log files, keys, backups) is its
    # user's alone: process state, not a setting. Put back afterwards for a caller that
    # runs commands inside its own process.
    previous_umask = os.umask(0o077)
    settings = None
    try:
        args = build_parser().parse_args(argv)
        # Read once, here, and handed to the command: a bad value stops it before it starts.
        settings = config.settings()
        return args.handler(args, settings)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.code
    except ValidationError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ConfigError as error:
        print(f"error: configuration: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except EncryptionError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except (SQLAlchemyError, OSError, sqlite3.Error) as error:
        database_url = settings.database_url if settings is not None else None
        print(f"error: {_failure_line(error, database_url=database_url)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    finally:
        os.umask(previous_umask)
