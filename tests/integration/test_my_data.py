"""A member's own data: everything written shows up in the export, and deleting the
account leaves nothing of them but pseudonymous audit rows."""

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import String, Text, func, select, text

from dashboard.checkins import CheckInForm, reset_sobriety_date, save_checkin
from dashboard.errors import NotFound, PermissionDenied, ValidationError
from dashboard.member_record import member_record
from dashboard.my_data import COLUMNS, delete_account, export_member_data
from dashboard.sharing import views_of_my_data
from dashboard.steps import update_step
from models import (
    AuditEvent,
    Base,
    CheckIn,
    Consent,
    ContactEntry,
    Flag,
    FlagFollowUp,
    User,
    WeeklyReview,
)
from models.crypto import EncryptedText
from models.db import alembic_config, make_engine
from tests.factories import NOW, PASSWORD, add_checkin, follow_up, grant, make_user

TODAY = NOW.date()
FORMULA_NOTE = "=HYPERLINK(\"http://example.org\")"


@pytest.fixture
def world(session_factory, session):
    """Maria (member and sponsor) shares with Sam; Ben shares with Maria; Carla counsels."""
    maria = make_user(session, "maria", "member", "sponsor", name="Maria Gonzalez",
                      sobriety_date=date(2025, 6, 1))
    sam = make_user(session, "sam", "member", "sponsor", name="Sam Sponsor")
    carla = make_user(session, "carla", "counselor", name="Carla Counselor")
    ben = make_user(session, "ben", "member", name="Ben B.")
    grant(session, maria, sam, "checkins", "steps", "flags", "notes")
    grant(session, maria, carla, "flags", purpose="counseling")
    grant(session, ben, maria, "checkins", "flags")
    add_checkin(session, ben, TODAY, mood=5, journal="ben's own journal")
    ben_flag = Flag(created_at=NOW, member_id=ben.id, rule_id="high_craving", severity="high",
                    raised_on=TODAY, episode_key="b1", reason="Craving 9/10")
    session.add(ben_flag)
    session.flush()
    follow_up(session, ben_flag, maria, acknowledged=NOW, method="called",
              note="Called; we talked for twenty minutes.")
    session.add(WeeklyReview(reviewer_id=sam.id, member_id=maria.id, iso_week="2026-W48",
                             note="sponsor's private review note", created_at=NOW))
    session.add(WeeklyReview(reviewer_id=maria.id, member_id=ben.id, iso_week="2026-W48",
                             note="maria's review of ben", created_at=NOW))
    session.commit()

    with session_factory.begin() as s:
        for days_back, values in [
            (3, {"mood": 2, "craving": 8, "used_substances": True, "hard_day": True,
                 "hard_day_reason": "Went to a party I should have skipped",
                 "journal": FORMULA_NOTE}),
            (1, {"mood": 3, "craving": 4, "gratitude": "Coffee with my sponsor",
                 "actions": ("called_support",), "sleep_hours": 6.5}),
            (0, {"mood": 4, "craving": 1, "meetings": 2, "journal": "Felt proud of myself today.",
                 "actions": ("prayer_meditation", "read_literature")}),
        ]:
            fields = {"used_substances": False} | values
            save_checkin(session=s, actor=maria, now=NOW,
                         form=CheckInForm(local_date=TODAY - timedelta(days=days_back), **fields))
        reset_sobriety_date(session=s, actor=maria, used_on=TODAY - timedelta(days=3), now=NOW)
        update_step(session=s, actor=maria, step=1, status="in_progress",
                    notes="Admitted I can't manage this alone.", now=NOW)
    with session_factory.begin() as s:  # Carla and Sam each work the flag of the reported use
        use_flag = s.scalar(select(Flag).where(Flag.member_id == maria.id,
                                               Flag.rule_id == "used_substances"))
        follow_up(s, use_flag, carla, acknowledged=NOW, method="met",
                  note="Met for coffee after the meeting.")
        follow_up(s, use_flag, sam, acknowledged=NOW - timedelta(hours=1),
                  resolved=NOW, method="texted", note="Texted her, she is with family.")
    with session_factory.begin() as s:
        member_record(session=s, actor=sam, member_id=maria.id, purpose="sponsorship",
                      screen="Sponsee detail", now=NOW)
    return maria, sam, carla, ben


def export_of(session_factory, actor):
    with session_factory.begin() as s:
        return export_member_data(session=s, actor=actor, now=NOW + timedelta(minutes=5))


def test_everything_written_shows_up_in_the_json_export(session_factory, session, world):
    maria, sam, carla, ben = world
    document = json.loads(export_of(session_factory, maria).to_json())

    assert document["account"] == [{
        "user_id": maria.id, "username": "maria", "display_name": "Maria Gonzalez",
        "roles": "member,sponsor", "timezone": "UTC", "created_at": NOW.isoformat(),
        "last_login_at": None}]
    new_date = (TODAY - timedelta(days=2)).isoformat()
    assert document["profile"] == [{"sobriety_date": new_date, "home_group": None}]
    assert document["sobriety_date_history"] == [
        {"previous_date": "2025-06-01", "new_date": new_date, "changed_at": NOW.isoformat()}]

    checkins = {c["local_date"]: c for c in document["checkins"]}
    assert len(checkins) == 3 == session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.member_id == maria.id))
    used_day = checkins[(TODAY - timedelta(days=3)).isoformat()]
    assert (used_day["used_substances"], used_day["hard_day"], used_day["journal"],
            used_day["hard_day_reason"], used_day["is_late"]) == (
        True, True, FORMULA_NOTE, "Went to a party I should have skipped", True)
    yesterday = checkins[(TODAY - timedelta(days=1)).isoformat()]
    assert (yesterday["gratitude"], yesterday["called_support"], yesterday["sleep_hours"]) == (
        "Coffee with my sponsor", True, 6.5)
    today = checkins[TODAY.isoformat()]
    assert (today["mood"], today["craving"], today["meetings"], today["journal"],
            today["prayer_meditation"], today["read_literature"], today["step_work"]) == (
        4, 1, 2, "Felt proud of myself today.", True, True, False)

    assert len(document["steps"]) == 12
    assert document["steps"][0] | {"updated_at": None} == {
        "step": 1, "status": "in_progress", "started_on": TODAY.isoformat(),
        "completed_on": None, "notes": "Admitted I can't manage this alone.",
        "updated_at": None}

    assert {(c["shared_with"], c["purpose"], c["categories"]) for c in document["consents"]} == {
        ("Sam Sponsor", "sponsorship", "checkins,flags,notes,steps"),
        ("Carla Counselor", "counseling", "flags")}

    flags = {f["rule_id"]: f for f in document["flags"]}
    assert set(flags) == {"used_substances", "hard_day", "high_craving"} == set(
        session.scalars(select(Flag.rule_id).where(Flag.member_id == maria.id)))
    use = flags["used_substances"]
    assert (use["raised_on"], use["severity"]) == ((TODAY - timedelta(days=3)).isoformat(),
                                                   "high")
    assert flags["hard_day"]["quoted_text"] == "Went to a party I should have skipped"
    # What each one she shares flags with did about them; their notes are their own.
    assert sorted((u["flag_id"], u["followed_up_by"], u["status"], u["acknowledged_at"],
                   u["how_they_reached_out"], u["resolved_at"])
                  for u in document["flag_follow_ups"]) == [
        (use["flag_id"], "Carla Counselor", "acknowledged", NOW.isoformat(), "met", None),
        (use["flag_id"], "Sam Sponsor", "resolved", (NOW - timedelta(hours=1)).isoformat(),
         "texted", NOW.isoformat())]

    actions = [(e["who"], e["action"], e["screen"]) for e in document["audit_events"]]
    assert ("Sam Sponsor", "view", "Sponsee detail") in actions
    assert ("you", "checkin_saved", "Today") in actions
    assert ("you", "profile_updated", "Today") in actions
    assert ("you", "data_exported", "My data") in actions
    # Each event with its first and last time and how many runs it stands for.
    sams = [e for e in document["audit_events"] if e["who"] == "Sam Sponsor"]
    assert sams and all(e["times_seen"] >= 1 and e["last_seen_at"] >= e["at"] for e in sams)


def test_the_export_holds_nothing_of_other_people(session_factory, world):
    maria, *_ = world
    text = export_of(session_factory, maria).to_json().decode()
    for foreign in ("ben's own journal", "sponsor's private review note", "maria's review of ben",
                    "twenty minutes", "Ben B.",
                    # The notes of those who followed up her flags are theirs, not hers.
                    "Met for coffee", "with family"):
        assert foreign not in text


def test_the_csv_zip_holds_the_same_rows_safe_for_spreadsheets(session_factory, world):
    maria, *_ = world
    export = export_of(session_factory, maria)
    with zipfile.ZipFile(io.BytesIO(export.to_csv_zip())) as archive:
        names = set(archive.namelist())
        assert names == {"README.txt"} | {f"{name}.csv" for name in COLUMNS}
        tables = {name: list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode())))
                  for name in COLUMNS}
    for name, rows in tables.items():
        assert len(rows) == len(export.tables[name]), name
        assert tuple(rows[0].keys()) == COLUMNS[name] if rows else True
    journals = {row["local_date"]: row["journal"] for row in tables["checkins"]}
    assert journals[(TODAY - timedelta(days=3)).isoformat()] == "'" + FORMULA_NOTE
    assert journals[TODAY.isoformat()] == "Felt proud of myself today."


def test_only_members_export(session_factory, world):
    _, _, carla, _ = world
    with pytest.raises(PermissionDenied):
        export_of(session_factory, carla)


@pytest.mark.parametrize(
    ("confirmation", "password", "fields"),
    [("delete account", PASSWORD, {"confirmation"}),
     ("Delete My Account", PASSWORD, {"confirmation"}),
     ("delete my account", "not my password!", {"password"}),
     ("", "", {"confirmation", "password"})],
)
def test_deletion_needs_the_typed_words_and_the_password(session_factory, session, world,
                                                         confirmation, password, fields):
    maria, *_ = world
    with pytest.raises(ValidationError) as error, session_factory.begin() as s:
        delete_account(session=s, actor=maria, confirmation=confirmation, password=password,
                       now=NOW)
    assert set(error.value.errors) == fields
    session.rollback()
    user = session.get(User, maria.id)
    assert user is not None
    # A wrong password counts toward the lockout, and stays counted though nothing else is
    # written.
    assert user.failed_logins == (1 if "password" in fields else 0)
    assert session.scalar(select(func.count()).select_from(CheckIn)
                          .where(CheckIn.member_id == maria.id)) == 3


def test_after_deletion_only_pseudonymous_audit_rows_remain(session_factory, session, world):
    maria, sam, carla, ben = world
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.member_id == maria.id))
    with session_factory.begin() as s:
        delete_account(session=s, actor=maria, confirmation=" delete my account ",
                       password=PASSWORD, now=NOW)
    session.rollback()

    # No row anywhere points at Maria, except the audit trail, which has no foreign keys.
    for table in Base.metadata.sorted_tables:
        if table.name == "audit_events":
            continue
        for column in table.columns:
            if column.name == "id" and table.name == "users" or any(
                    fk.column.table.name == "users" for fk in column.foreign_keys):
                left = session.execute(select(func.count()).select_from(table)
                                       .where(column == maria.id)).scalar_one()
                assert left == 0, f"{table.name}.{column.name} still holds the member"

    # Nothing she wrote or was called is left in any text column, audit trail included,
    # nor what others wrote about her (their contact log entries with her went with her).
    her_words = ["maria", "Maria Gonzalez", "Went to a party", "Coffee with my sponsor",
                 "Felt proud", "HYPERLINK", "Admitted I can't", "Met for coffee",
                 "with family", "twenty minutes", "sponsor's private review note",
                 "maria's review of ben"]
    for table in Base.metadata.sorted_tables:
        text_columns = [c for c in table.columns
                        if isinstance(c.type, String | Text | EncryptedText)]
        for row in session.execute(select(*text_columns)) if text_columns else ():
            for value in row:
                assert not any(w.lower() in (value or "").lower() for w in her_words), (
                    table.name, value)

    audit_after = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.member_id == maria.id))
    assert audit_after > audit_before
    actions = set(session.scalars(select(AuditEvent.action)
                                  .where(AuditEvent.member_id == maria.id)))
    assert {"account_deleted", "consent_revoked"} <= actions

    # Everyone else is untouched, and nobody sees anything of Maria any more.
    assert {u.username for u in session.scalars(select(User))} == {"sam", "carla", "ben"}
    assert session.scalar(select(func.count()).select_from(CheckIn)
                          .where(CheckIn.member_id == ben.id)) == 1
    # Ben's flag is his and stays; her follow-up of it and her contact log went with her.
    ben_flag = session.scalar(select(Flag).where(Flag.member_id == ben.id))
    assert ben_flag is not None
    assert session.scalar(select(func.count()).select_from(FlagFollowUp)) == 0
    assert session.scalar(select(func.count()).select_from(ContactEntry)) == 0
    assert session.scalar(select(func.count()).select_from(Consent)) == 0
    assert session.scalar(select(func.count()).select_from(WeeklyReview)) == 0
    with pytest.raises(NotFound), session_factory.begin() as s:
        member_record(session=s, actor=sam, member_id=maria.id, purpose="sponsorship",
                      screen="Sponsee detail", now=NOW)


def test_the_only_administrator_cannot_delete_their_account(session_factory, session):
    root = make_user(session, "root", "member", "admin")
    session.commit()
    with pytest.raises(ValidationError, match="only administrator"), \
            session_factory.begin() as s:
        delete_account(session=s, actor=root, confirmation="delete my account",
                       password=PASSWORD, now=NOW)
    make_user(session, "second", "admin")
    session.commit()
    with session_factory.begin() as s:
        delete_account(session=s, actor=root, confirmation="delete my account",
                       password=PASSWORD, now=NOW)
    session.rollback()
    assert session.get(User, root.id) is None


def test_a_new_account_never_gets_a_deleted_accounts_id(session_factory, session, world):
    """On SQLite the next account used to get the deleted newest one's id, and with it the
    deleted member's "Who viewed my data" and history."""
    newest = make_user(session, "zoe", "member", name="Zoe Z.")
    session.commit()
    with session_factory.begin() as s:
        delete_account(session=s, actor=newest, confirmation="delete my account",
                       password=PASSWORD, now=NOW)
    newcomer = make_user(session, "yan", "member", name="Yan Y.")
    session.commit()
    assert newcomer.id > newest.id
    with session_factory.begin() as s:
        assert views_of_my_data(session=s, actor=newcomer) == []
        export = export_member_data(session=s, actor=newcomer, now=NOW)
    assert export.counts()["audit_events"] == len(session.scalars(select(AuditEvent).where(
        AuditEvent.member_id == newcomer.id)).all())


def test_the_upgrade_sets_ids_above_every_id_the_audit_trail_names(tmp_path):
    """A database of migration 0008 whose newest account was deleted: after the upgrade the
    next account's id lies above the deleted one, and nothing else changed."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config(engine)
    command.upgrade(config, "0008")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, created_at) "
            "VALUES (1, 'ann', 'Ann', 'x', :now), (2, 'bob', 'Bob', 'x', :now)"), {"now": NOW})
        connection.execute(text(
            "INSERT INTO member_profiles (user_id, sobriety_date) VALUES (1, '2026-01-01')"))
        connection.execute(text("INSERT INTO audit_events (id, at, actor_id, member_id, action, "
                                "categories, outcome) VALUES (1, :now, 1, 3, 'view', "
                                "'checkins', 'allowed')"), {"now": NOW})
    command.upgrade(config, "head")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (username, display_name, password_hash, created_at) "
            "VALUES ('cy', 'Cy', 'x', :now)"), {"now": NOW})
        assert connection.execute(text("SELECT id FROM users WHERE username = 'cy'")
                                  ).scalar_one() == 4  # above member 3 of the audit trail
        assert connection.execute(text("SELECT count(*) FROM member_profiles")).scalar() == 1
        assert connection.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()
