"""The demo caseload generator: deterministic, atomic, as varied as the screens need, and
never in the future: loaded at the run's instant (NOW), whatever it is."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from datetime import date, timedelta
from importlib import resources

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard.demo import DEMO_PASSWORD, demo_sizes, load_demo
from dashboard.errors import ValidationError
from dashboard.flags import (
    EPISODE_DAYS,
    HISTORY_DAYS,
    RULES,
    Day,
    FlagThresholds,
    no_checkin_finding,
)
from dashboard.passwords import verify_and_update
from dashboard.timeutil import day_label, local_today
from models import (
    OUTREACH_METHODS,
    AuditEvent,
    Base,
    CheckIn,
    Consent,
    ContactEntry,
    Flag,
    FlagFollowUp,
    MemberProfile,
    SobrietyDateChange,
    StepProgress,
    User,
    UserRole,
    WeeklyReview,
)
from models.base import UTCDateTime
from models.db import make_engine, upgrade_to_head
from tests.factories import NOW

MEMBERS = 12
DAYS = 30


def _load(engine: Engine, **overrides):
    arguments = {"engine": engine, "members": MEMBERS, "days": DAYS, "seed": 7, "now": NOW}
    arguments.update(overrides)
    return load_demo(**arguments)


def _fresh_sqlite(path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    return engine


def _dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every table's rows, ordered by primary key.

    Except the password hash: argon2 salts every hash at random, on purpose.
    """
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(
                    select(*(c for c in table.columns if c.name != "password_hash")).order_by(
                        *table.primary_key.columns
                    )
                ).all()
            ]
            for table in Base.metadata.sorted_tables
        }


def _row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of data."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def _member_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(UserRole.user_id).where(UserRole.role == "member").order_by(UserRole.user_id)
        )
    )


def _user_id(session: Session, username: str) -> int:
    return session.scalars(select(User.id).where(User.username == username)).one()


def _todays(session: Session) -> dict[int, date]:
    """Each account's own today at NOW, the moment the demo loaded."""
    return {user_id: local_today(zone, NOW)
            for user_id, zone in session.execute(select(User.id, User.timezone))}


# ---------------------------------------------------------------------------------------
# Determinism and atomicity


def test_same_seed_and_moment_give_identical_rows_in_every_table(engine, tmp_path):
    other = _fresh_sqlite(tmp_path / "b.db")
    try:
        first = _load(engine)
        second = _load(other)
        first_rows, second_rows = _dump(engine), _dump(other)
    finally:
        other.dispose()

    assert first == second
    assert first_rows.keys() == second_rows.keys()
    for name in first_rows:
        assert first_rows[name] == second_rows[name], f"table {name} differs"
    # Every table the generator fills has rows, so the comparison above means something
    # (demo staff set up two-factor login at their first login: no recovery codes yet; the
    # demo's audit event is sealed by the app's sealer, after the sealing delay; nobody's
    # account has been reset; key fingerprints are recorded when the app or a command opens
    # the keys, not by the generator; no sponsor has dismissed a notice).
    assert all(first_rows[name] for name in first_rows
               if name not in ("recovery_codes", "audit_batches", "account_resets",
                               "key_fingerprints", "sharing_notice_dismissals")), [
        n for n in first_rows if not first_rows[n]
    ]


def test_every_list_in_the_words_file_has_words():
    """An empty list would fail only deep in a load, as an IndexError from a draw."""
    words = tomllib.loads(
        resources.files("dashboard.demo").joinpath("words.toml").read_text(encoding="utf-8")
    )

    def lists(value, name):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from lists(inner, f"{name}.{key}")
        else:
            yield name, value

    found = dict(lists(words, "words"))
    assert len(found) > 10
    for name, phrases in found.items():
        assert phrases, f"{name} is empty"
        assert all(isinstance(p, str) and p.strip() for p in phrases), name
    assert sorted(int(step) for step in words["step_notes"]) == list(range(1, 13))
    assert sorted(words["outreach_notes"]) == sorted(OUTREACH_METHODS)


def test_a_different_seed_gives_different_checkins(sqlite_engine, tmp_path):
    other = _fresh_sqlite(tmp_path / "other.db")
    try:
        _load(sqlite_engine, seed=7)
        _load(other, seed=8)
        assert _dump(sqlite_engine)["checkins"] != _dump(other)["checkins"]
    finally:
        other.dispose()


def test_loading_into_a_database_with_accounts_is_refused_and_writes_nothing(engine, session):
    session.add(User(username="someone", display_name="Some One", password_hash="x",
                     created_at=NOW))
    session.commit()
    before = _row_counts(engine)

    with pytest.raises(ValidationError) as refused:
        _load(engine)

    assert str(refused.value) == (
        "The demo caseload loads only into an empty database; this one already has accounts."
    )
    assert _row_counts(engine) == before


def test_a_failure_midway_leaves_the_database_empty(engine):
    def fail_after_first_checkins(fraction: float, message: str) -> None:
        if "check-ins" in message:
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        _load(engine, progress=fail_after_first_checkins)

    assert set(_row_counts(engine).values()) == {0}
    # Still empty, so the demo can be loaded after all.
    assert _load(engine).checkins > 0


@pytest.mark.parametrize(
    ("members", "days", "field"),
    [(0, 30, "members"), (20_001, 30, "members"), (12, 6, "days"), (12, 3_651, "days")],
)
def test_sizes_out_of_range_are_refused(sqlite_engine, members, days, field):
    with pytest.raises(ValidationError) as refused:
        _load(sqlite_engine, members=members, days=days)
    assert refused.value.for_field(field)
    assert set(_row_counts(sqlite_engine).values()) == {0}


def test_progress_moves_forward_and_ends_at_one(sqlite_engine):
    reports: list[tuple[float, str]] = []
    _load(sqlite_engine, progress=lambda fraction, message: reports.append((fraction, message)))

    fractions = [fraction for fraction, _ in reports]
    assert len(reports) >= 3
    assert fractions == sorted(fractions)
    assert fractions[0] >= 0.0 and fractions[-1] == 1.0
    assert all(message for _, message in reports)


def test_the_app_can_add_rows_after_the_demo(engine, session):
    """Explicit ids must not leave PostgreSQL's sequences behind the demo rows."""
    _load(engine)
    highest_user = session.scalar(select(func.max(User.id)))
    highest_checkin = session.scalar(select(func.max(CheckIn.id)))

    newcomer = User(username="newcomer", display_name="New C.", password_hash="x",
                    created_at=NOW)
    session.add(newcomer)
    session.flush()
    checkin = CheckIn(
        member_id=newcomer.id, local_date=NOW.date(), mood=3, craving=2, used_substances=False,
        created_at=NOW, updated_at=NOW,
    )
    session.add(checkin)
    session.commit()

    assert newcomer.id == highest_user + 1
    assert checkin.id == highest_checkin + 1


# ---------------------------------------------------------------------------------------
# Accounts


def test_accounts_are_admin_then_sponsors_counselors_members(engine, session):
    summary = _load(engine)
    sponsors, counselors = demo_sizes(MEMBERS)

    expected = (
        [("admin", ("admin",))]
        + [(f"sponsor{k}", ("member", "sponsor")) for k in range(1, sponsors + 1)]
        + [(f"counselor{c}", ("counselor",)) for c in range(1, counselors + 1)]
        + [(f"member{i}", ("member",)) for i in range(1, MEMBERS + 1)]
    )
    assert [(a.username, a.roles) for a in summary.accounts] == expected
    assert (summary.members, summary.sponsors, summary.counselors) == (
        MEMBERS,
        sponsors,
        counselors,
    )
    assert summary.password == DEMO_PASSWORD

    users = session.scalars(select(User).order_by(User.id)).all()
    assert [(u.username, u.display_name) for u in users] == [
        (a.username, a.display_name) for a in summary.accounts
    ]
    assert [tuple(sorted(u.role_names)) for u in users] == [a.roles for a in summary.accounts]
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z]\.", u.display_name) for u in users)
    assert all(u.is_active and not u.must_change_password for u in users)
    assert all(u.created_at <= NOW for u in users)

    hashes = {u.password_hash for u in users}
    assert len(hashes) == 1
    assert verify_and_update(DEMO_PASSWORD, hashes.pop())[0]

    assert summary.checkins == session.scalar(select(func.count()).select_from(CheckIn))
    assert summary.consents == session.scalar(select(func.count()).select_from(Consent))
    assert summary.flags == session.scalar(select(func.count()).select_from(Flag))

    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.outcome, event.actor_id) == ("demo_loaded", "allowed", None)
    assert event.detail == f"{MEMBERS} members x {DAYS} days"


@pytest.mark.parametrize(
    ("members", "sizes"), [(1, (2, 2)), (12, (2, 2)), (101, (3, 2)), (2_000, (50, 20))]
)
def test_demo_sizes(members, sizes):
    assert demo_sizes(members) == sizes


# ---------------------------------------------------------------------------------------
# Check-ins, sobriety and steps


def test_checkins_lie_in_the_window_and_never_in_the_future(engine, session):
    _load(engine)
    todays = _todays(session)
    for member_id, first, last in session.execute(
        select(CheckIn.member_id, func.min(CheckIn.local_date), func.max(CheckIn.local_date))
        .group_by(CheckIn.member_id)
    ):
        # Only the local days that have begun where the member lives.
        assert todays[member_id] - timedelta(days=DAYS - 1) <= first <= last <= todays[member_id]
    checkins = session.scalars(select(CheckIn)).all()
    assert all(1 <= c.mood <= 5 and 0 <= c.craving <= 10 and 0 <= c.meetings <= 3 for c in checkins)
    assert all(c.sleep_hours is None or (4.0 <= c.sleep_hours <= 9.5) for c in checkins)
    assert all(c.hard_day == (c.hard_day_reason is not None) for c in checkins)
    # Every member-role account, sponsors included, has a history to look at.
    assert {c.member_id for c in checkins} == set(_member_ids(session))


def no_checkin_lies_in_a_members_future(engine: Engine, moment) -> bool:
    """Whether each member's last check-in is of a day that had begun where they live."""
    with engine.connect() as connection:
        zones = dict(connection.execute(select(User.id, User.timezone)).all())
        return all(last <= local_today(zones[member_id], moment)
                   for member_id, last in connection.execute(
                       select(CheckIn.member_id, func.max(CheckIn.local_date))
                       .group_by(CheckIn.member_id)))


def times_stored_after(engine: Engine, moment) -> list[tuple[str, str]]:
    """The columns holding a time, of something that happened, later than `moment` (an end
    of sharing, `consents.expires_at`, is agreed ahead of time and may lie later)."""
    later = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if (isinstance(column.type, UTCDateTime)
                        and (table.name, column.name) != ("consents", "expires_at")):
                    latest = connection.scalar(select(func.max(column)))
                    if latest is not None and latest > moment:
                        later.append((table.name, column.name))
    return later


@pytest.mark.parametrize("hour", range(24))
def test_loaded_at_any_hour_no_checkin_lies_in_a_members_future(sqlite_engine, hour):
    """Whatever the hour of the load, somewhere it is still yesterday or already tomorrow."""
    moment = NOW.replace(hour=hour, minute=40)
    load_demo(engine=sqlite_engine, members=16, days=8, seed=hour, now=moment)
    assert no_checkin_lies_in_a_members_future(sqlite_engine, moment)
    assert times_stored_after(sqlite_engine, moment) == []


def test_no_stored_time_is_later_than_the_load(engine):
    _load(engine)
    assert times_stored_after(engine, NOW) == []


def test_sobriety_date_resets_after_every_use_and_keeps_its_history(engine, session):
    _load(engine)
    uses: dict[int, list[date]] = defaultdict(list)
    for member_id, day in session.execute(
        select(CheckIn.member_id, CheckIn.local_date)
        .where(CheckIn.used_substances)
        .order_by(CheckIn.member_id, CheckIn.local_date)
    ):
        uses[member_id].append(day)
    assert uses, "some members relapse in the demo"

    todays = _todays(session)
    profiles = {p.user_id: p for p in session.scalars(select(MemberProfile))}
    assert set(profiles) == set(_member_ids(session))
    for member_id, profile in profiles.items():
        changes = session.scalars(
            select(SobrietyDateChange)
            .where(SobrietyDateChange.member_id == member_id)
            .order_by(SobrietyDateChange.changed_at)
        ).all()
        if member_id in uses:
            assert profile.sobriety_date == uses[member_id][-1] + timedelta(days=1)
            assert [c.new_date for c in changes] == [d + timedelta(days=1) for d in uses[member_id]]
            for earlier, later in zip(changes, changes[1:], strict=False):
                assert later.previous_date == earlier.new_date
        else:
            assert changes == []
            assert profile.sobriety_date <= todays[member_id] - timedelta(days=30)
        assert profile.sobriety_date <= todays[member_id]


def test_every_member_has_twelve_consistent_step_rows(engine, session):
    _load(engine)
    todays = _todays(session)
    rows: dict[int, list[StepProgress]] = defaultdict(list)
    for row in session.scalars(
        select(StepProgress).order_by(StepProgress.member_id, StepProgress.step)
    ):
        rows[row.member_id].append(row)

    assert set(rows) == set(_member_ids(session))
    for member_id, steps in rows.items():
        assert [s.step for s in steps] == list(range(1, 13))
        statuses = "".join(s.status[0] for s in steps)  # c(ompleted), i(n progress), n(ot started)
        assert re.fullmatch(r"c*i?n*", statuses), statuses
        dates = [d for s in steps for d in (s.started_on, s.completed_on) if d is not None]
        assert dates == sorted(dates)
        assert all(d <= todays[member_id] for d in dates)


# ---------------------------------------------------------------------------------------
# Consents


def test_consents_cover_every_state_and_never_duplicate_an_active_one(engine, session):
    _load(engine)
    consents = session.scalars(select(Consent).order_by(Consent.id)).all()
    names = dict(session.execute(select(User.id, User.display_name)).all())

    assert {c.status_at(NOW) for c in consents} == {"active", "expired", "revoked"}
    assert {c.purpose for c in consents} == {"sponsorship", "counseling"}
    for consent in consents:
        assert consent.signature_name == names[consent.member_id]
        assert consent.revocation_acknowledged and consent.categories
        assert consent.starts_at < consent.expires_at and consent.starts_at <= NOW
        assert consent.member_id != consent.recipient_id
        if consent.revoked_at is not None:
            assert consent.revoked_by_id == consent.member_id
            assert consent.starts_at <= consent.revoked_at <= NOW

    by_pair: dict[tuple[int, int], list[Consent]] = defaultdict(list)
    for consent in consents:
        by_pair[(consent.member_id, consent.recipient_id)].append(consent)
    assert all(sum(c.status_at(NOW) == "active" for c in pair) <= 1 for pair in by_pair.values())
    granted_again = [
        pair
        for pair in by_pair.values()
        if any(
            old.revoked_at is not None
            and new.status_at(NOW) == "active"
            and new.starts_at > old.revoked_at
            for old in pair
            for new in pair
        )
    ]
    assert granted_again, "some member revoked and later shared again with the same person"


def test_every_member_shares_with_their_sponsor_and_sponsors_with_the_next_sponsor(engine, session):
    _load(engine)
    sponsors, counselors = demo_sizes(MEMBERS)
    ids = dict(session.execute(select(User.username, User.id)).all())
    pairs = set(
        session.execute(select(Consent.member_id, Consent.recipient_id, Consent.purpose)).all()
    )

    for i in range(1, MEMBERS + 1):
        sponsor = ids[f"sponsor{(i - 1) % sponsors + 1}"]
        assert (ids[f"member{i}"], sponsor, "sponsorship") in pairs
        counselor_pairs = {
            (m, r) for m, r, p in pairs if m == ids[f"member{i}"] and p == "counseling"
        }
        assert counselor_pairs <= {(ids[f"member{i}"], ids[f"counselor{(i - 1) % counselors + 1}"])}
    for k in range(1, sponsors + 1):
        assert (ids[f"sponsor{k}"], ids[f"sponsor{k % sponsors + 1}"], "sponsorship") in pairs


def test_member1_shares_everything_with_sponsor1_and_all_but_notes_with_counselor1(engine, session):
    _load(engine)
    member1 = _user_id(session, "member1")
    active = {
        c.recipient_id: c
        for c in session.scalars(select(Consent).where(Consent.member_id == member1))
        if c.status_at(NOW) == "active"
    }

    sponsor1, counselor1 = _user_id(session, "sponsor1"), _user_id(session, "counselor1")
    assert set(active) == {sponsor1, counselor1}
    assert (active[sponsor1].purpose, active[sponsor1].categories) == (
        "sponsorship",
        frozenset({"checkins", "steps", "flags", "notes"}),
    )
    assert (active[counselor1].purpose, active[counselor1].categories) == (
        "counseling",
        frozenset({"checkins", "steps", "flags"}),
    )


# ---------------------------------------------------------------------------------------
# Flags and reviews


def _histories(session: Session) -> dict[int, list[tuple[Day, CheckIn]]]:
    histories: dict[int, list[tuple[Day, CheckIn]]] = defaultdict(list)
    for c in session.scalars(select(CheckIn).order_by(CheckIn.member_id, CheckIn.local_date)):
        histories[c.member_id].append((Day(c.id, c.local_date, c.mood, c.craving,
                                           c.used_substances, c.hard_day, c.hard_day_reason), c))
    return histories


def test_flags_are_raised_by_the_apps_own_rules(engine, session):
    """Each flag is what the rule says of the check-ins up to its day, in the rule's own
    words with the day in them; a pattern is raised when it shows and not again while its
    episode goes on (EPISODE_DAYS after the day that raised it); silences are flagged on
    the day they reach the threshold."""
    _load(engine)
    thresholds = FlagThresholds()
    flags = session.scalars(select(Flag).order_by(Flag.id)).all()
    rules = {rule.id: rule for rule in RULES}
    histories = _histories(session)
    by_checkin = {(f.checkin_id, f.rule_id): f for f in flags if f.checkin_id is not None}
    assert len(by_checkin) == sum(f.checkin_id is not None for f in flags)

    expected_day_flags = set()
    for member_id, history in histories.items():
        days = [day for day, _ in history]
        pattern_raised: dict[str, date] = {}  # each pattern rule's last flag, by its day
        for index, (day, checkin) in enumerate(history):
            seen = [d for d in days[:index + 1]
                    if d.local_date > day.local_date - timedelta(days=HISTORY_DAYS)]
            for rule in RULES:
                finding = rule.check(seen, thresholds)
                flag = by_checkin.get((checkin.id, rule.id))
                if rule.kind == "day":
                    assert (finding is None) == (flag is None), (rule.id, checkin.local_date)
                    if finding is not None:
                        expected_day_flags.add(checkin.id)
                if rule.kind == "pattern":
                    last = pattern_raised.get(rule.id)
                    going_on = (last is not None
                                and day.local_date - last <= timedelta(days=EPISODE_DAYS))
                    assert (flag is not None) == (finding is not None and not going_on), (
                        rule.id, checkin.local_date)
                    if flag is not None:
                        pattern_raised[rule.id] = day.local_date
                if flag is not None:
                    assert finding is not None
                    assert (flag.reason, flag.quoted_text, flag.severity, flag.raised_on,
                            flag.episode_key, flag.member_id) == (
                        finding.reason, finding.quoted_text, rule.severity, day.local_date,
                        day.local_date.isoformat(), member_id)
                    assert flag.created_at == checkin.created_at
    assert expected_day_flags, "the demo has hard days, cravings and use"
    for flag in flags:
        if flag.rule_id in ("hard_day", "used_substances", "high_craving"):
            # The day is in the words, as the app writes it.
            assert day_label(flag.raised_on, weekday=True, short=True) in flag.reason

    # A pattern flag while the episode of an earlier one of its rule went on would be a
    # duplicate.
    for member_id in histories:
        for rule_id in (r for r in rules if rules[r].kind == "pattern"):
            pattern = [f for f in flags if f.member_id == member_id and f.rule_id == rule_id]
            for earlier, later in zip(pattern, pattern[1:], strict=False):
                assert later.raised_on - earlier.raised_on > timedelta(days=EPISODE_DAYS)

    todays = _todays(session)
    silences = defaultdict(set)
    for f in flags:
        if f.rule_id == "no_checkin":
            finding = no_checkin_finding(date.fromisoformat(f.episode_key), f.raised_on,
                                         thresholds)
            assert (f.reason, f.severity) == (finding.reason, "medium")
            silences[f.member_id].add(f.episode_key)
    for member_id, history in histories.items():
        dates = [d.local_date for d, _ in history] + [todays[member_id] + timedelta(days=1)]
        expected = {earlier.isoformat() for earlier, later in zip(dates, dates[1:], strict=False)
                    if (later - earlier).days > thresholds.silent_days}
        assert silences[member_id] == expected, member_id


def test_flags_are_followed_up_by_each_viewer_who_sees_them(engine, session):
    """Each viewer the member shares flags with follows them up on their own, and only while
    a consent of theirs shares flags (the app refuses them otherwise): the flags of the
    last three days open, some of those 3 to 14 days old acknowledged, the older ones
    resolved. Each acknowledgement has its entry in the viewer's contact log, dated the
    viewer's own day, as acknowledge_flag writes it; and the demo shows every state."""
    _load(engine)
    flags = {f.id: f for f in session.scalars(select(Flag))}
    todays = _todays(session)
    zones = dict(session.execute(select(User.id, User.timezone)).all())
    consents: dict[tuple[int, int], list[Consent]] = defaultdict(list)
    for consent in session.scalars(select(Consent)):
        consents[(consent.member_id, consent.recipient_id)].append(consent)

    def shares_flags(member_id: int, viewer_id: int, at) -> bool:
        return any(c.share_flags and c.starts_at <= at < c.expires_at
                   and (c.revoked_at is None or at < c.revoked_at)
                   for c in consents[(member_id, viewer_id)])

    follow_ups = session.scalars(select(FlagFollowUp).order_by(FlagFollowUp.id)).all()
    contacts = {c.id: c for c in session.scalars(select(ContactEntry))}
    assert follow_ups
    for row in follow_ups:
        flag = flags[row.flag_id]
        age = (todays[flag.member_id] - flag.raised_on).days
        assert age >= 3, "the flags of the last three days are open for everyone"
        assert row.status == ("resolved" if age > 14 else "acknowledged")
        assert shares_flags(flag.member_id, row.viewer_id, row.acknowledged_at)
        assert flag.created_at <= row.acknowledged_at <= NOW
        if row.status == "resolved":
            assert shares_flags(flag.member_id, row.viewer_id, row.resolved_at)
            assert row.acknowledged_at <= row.resolved_at <= NOW
        else:
            assert row.resolved_at is None
        contact = contacts[row.contact_id]
        assert (contact.viewer_id, contact.member_id, contact.kind, contact.flag_id,
                contact.created_at) == (row.viewer_id, flag.member_id, "flag", flag.id,
                                        row.acknowledged_at)
        assert contact.contacted_on == local_today(zones[row.viewer_id], row.acknowledged_at)
        assert contact.method in OUTREACH_METHODS and contact.note
    # One contact entry per acknowledgement, and none of a flag beside them.
    assert sorted(c.id for c in contacts.values() if c.kind == "flag") == sorted(
        row.contact_id for row in follow_ups)

    # Every state, as the viewers who share flags now see them.
    done = {(row.flag_id, row.viewer_id): row.status for row in follow_ups}
    seen = {done.get((flag.id, viewer_id), "open")
            for flag in flags.values()
            for (member_id, viewer_id) in consents
            if member_id == flag.member_id and shares_flags(member_id, viewer_id, NOW)}
    assert seen == {"open", "acknowledged", "resolved"}


def test_sponsors_reviewed_their_sponsees_in_past_weeks(engine, session):
    _load(engine)
    sponsorship = {
        (m, r)
        for m, r in session.execute(
            select(Consent.member_id, Consent.recipient_id).where(Consent.purpose == "sponsorship")
        )
    }
    todays = _todays(session)
    reviews = session.scalars(select(WeeklyReview)).all()

    assert reviews
    for review in reviews:
        assert re.fullmatch(r"\d{4}-W\d{2}", review.iso_week)
        # Weeks that had ended in the member's calendar.
        assert review.iso_week < "{}-W{:02d}".format(*todays[review.member_id].isocalendar()[:2])
        assert (review.member_id, review.reviewer_id) in sponsorship
        assert review.created_at <= NOW
    assert len({r.iso_week for r in reviews}) > 1

    # Each review is an entry of the sponsor's contact log, as mark_week_reviewed writes it.
    zones = dict(session.execute(select(User.id, User.timezone)).all())
    entries = session.scalars(select(ContactEntry).where(ContactEntry.kind == "review")).all()
    assert sorted((e.viewer_id, e.member_id, e.iso_week, e.note, e.created_at, e.contacted_on)
                  for e in entries) == sorted(
        (r.reviewer_id, r.member_id, r.iso_week, r.note, r.created_at,
         local_today(zones[r.reviewer_id], r.created_at)) for r in reviews)
    assert all(e.method in OUTREACH_METHODS and e.flag_id is None for e in entries)


def test_no_sponsor_has_more_than_fifteen_sponsees(sqlite_engine):
    from sqlalchemy import func as sa_func

    from dashboard.demo import MAX_SPONSEES, load_demo
    from models import Consent

    load_demo(engine=sqlite_engine, members=60, days=14, seed=5, now=NOW)
    with sqlite_engine.connect() as connection:
        counts = connection.execute(
            select(sa_func.count(sa_func.distinct(Consent.member_id)))
            .where(Consent.purpose == "sponsorship").group_by(Consent.recipient_id)
        ).scalars().all()
    assert counts and max(counts) <= MAX_SPONSEES  # the sponsor who sponsors a sponsor counted
