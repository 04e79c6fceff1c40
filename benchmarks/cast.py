"""The cast: who the figures are measured for, and the counselor the benchmark adds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, literal, select
from sqlalchemy.orm import Session

from benchmarks.floors import zones_in_use
from dashboard import totp_codes, two_factor
from dashboard.auth import Actor, actor_from_user
from dashboard.demo import DEMO_PASSWORD
from dashboard.policy import consent_is_active
from dashboard.timeutil import local_today
from models import (
    CheckIn,
    Consent,
    ContactEntry,
    Flag,
    FlagFollowUp,
    MemberProfile,
    User,
    UserRole,
)
from models.db import make_session_factory

BENCH_COUNSELOR = "bench_counselor"


@dataclass(frozen=True)
class Cast:
    counselor: Actor
    clients: int
    sponsor: Actor
    sponsees: int
    detail_member_id: int
    detail_member_name: str
    member: Actor  # the detail member too (member1): Today and My progress are theirs
    sponsee: Actor  # one of the sponsor's sponsees, for Sponsee detail
    savers: list[Actor]  # members without a check-in today, with one yesterday
    writers: list[Actor]
    shared_writer: Actor


def add_bench_counselor(engine: Engine, *, now: datetime) -> int:
    """A counselor, with two-factor login set up, to whom every member (not the sponsors)
    consents for counseling.

    One consent per member, sharing check-ins, steps and flags (not notes), active from
    a year before `now` until three years after.
    """
    starts_at = now - timedelta(days=365)
    expires_at = now + timedelta(days=3 * 365)
    with make_session_factory(engine).begin() as session:
        # The demo accounts share one argon2 hash of the demo password: so does this one.
        password_hash = session.scalar(select(User.password_hash).order_by(User.id).limit(1))
        counselor = User(username=BENCH_COUNSELOR, display_name="Bench Counselor",
                         password_hash=password_hash, timezone="UTC", created_at=starts_at)
        session.add(counselor)
        session.flush()
        session.add(UserRole(user_id=counselor.id, role="counselor"))
        session.flush()
        set_up_second_factor(session, counselor.id, now=now)
        sponsors = select(UserRole.user_id).where(UserRole.role == "sponsor")
        members = session.execute(
            select(User.id, User.display_name).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "member", User.id.not_in(sponsors)).order_by(User.id)
        ).all()
        session.execute(
            Consent.__table__.insert(),
            [
                {"member_id": member_id, "recipient_id": counselor.id, "purpose": "counseling",
                 "share_checkins": True, "share_steps": True, "share_flags": True,
                 "share_notes": False, "signature_name": name,
                 "signed_on": starts_at.date(), "revocation_acknowledged": True,
                 "starts_at": starts_at, "expires_at": expires_at, "revoked_at": None,
                 "revoked_by_id": None, "created_at": starts_at}
                for member_id, name in members
            ],
        )
        # A counselor in the habit of it: every flag older than two weeks worked through
        # (acknowledged with a call, then resolved), as the demo's own viewers do.
        worked = (select(literal(counselor.id), Flag.member_id, Flag.raised_on,
                         literal("called"), literal("flag"), Flag.id, Flag.created_at)
                  .where(Flag.member_id.in_([m for m, _ in members]),
                         Flag.raised_on < (now - timedelta(days=14)).date()))
        session.execute(ContactEntry.__table__.insert().from_select(
            ["viewer_id", "member_id", "contacted_on", "method", "kind", "flag_id",
             "created_at"], worked))
        session.execute(FlagFollowUp.__table__.insert().from_select(
            ["flag_id", "viewer_id", "status", "acknowledged_at", "contact_id", "resolved_at"],
            select(ContactEntry.flag_id, ContactEntry.viewer_id, literal("resolved"),
                   ContactEntry.created_at, ContactEntry.id, ContactEntry.created_at)
            .where(ContactEntry.viewer_id == counselor.id)))
        return counselor.id


def set_up_second_factor(session: Session, user_id: int, *, now: datetime) -> None:
    """Two-factor login set up as a person would, with the first code their app shows and
    their password (the demo's): staff log in with a second factor (TWO_FACTOR_ROLES in
    dashboard/auth.py), so the pages run as the counselor and the sponsor need one."""
    actor = actor_from_user(session.get(User, user_id))
    enrolment = two_factor.start_enrolment(actor=actor)
    two_factor.confirm_enrolment(session=session, actor=actor, secret=enrolment.secret,
                                 code=totp_codes.code_at(enrolment.secret, now),
                                 password=DEMO_PASSWORD, now=now)


def pick_cast(engine: Engine, *, counselor_id: int, now: datetime, savers: int,
              writers: int) -> Cast:
    """The bench counselor; the sponsor with the most sponsees (two-factor login set up for
    the pages' runs) and the first of their sponsees; member1 for the client detail, Today
    and My progress; members with nothing saved today, to save for; and the writers'
    members, the first of them the one every writer also saves for."""
    with make_session_factory(engine)() as session:
        counselor = actor_from_user(session.get(User, counselor_id))
        clients = session.scalar(select(func.count()).select_from(Consent)
                                 .where(Consent.recipient_id == counselor_id))
        sponsees = func.count(Consent.member_id.distinct())
        sponsor_id, sponsee_count = session.execute(
            select(Consent.recipient_id, sponsees)
            .where(Consent.purpose == "sponsorship", consent_is_active(now))
            .group_by(Consent.recipient_id)
            .order_by(sponsees.desc(), Consent.recipient_id).limit(1)
        ).one()
        # The sponsee: the first who shares check-ins with the sponsor, else the first.
        sponsee_id = session.scalar(
            select(Consent.member_id)
            .where(Consent.recipient_id == sponsor_id, Consent.purpose == "sponsorship",
                   consent_is_active(now))
            .order_by(Consent.share_checkins.desc(), Consent.member_id).limit(1))
        detail = session.scalar(select(User).where(User.username == "member1"))
        sponsors = select(UserRole.user_id).where(UserRole.role == "sponsor")
        members = select(User).join(MemberProfile).where(User.id.not_in(sponsors))

        def checked_in_on(day: date):
            return select(CheckIn.member_id).where(CheckIn.local_date == day)

        # A first save of the day on top of a history: the flag rules have days to read.
        # "Today" is each member's own: looked for zone by zone.
        fresh: list[User] = []
        for zone in zones_in_use(session.connection()):
            today = local_today(zone, now)
            fresh += session.scalars(
                members.where(User.timezone == zone,
                              User.id.in_(checked_in_on(today - timedelta(days=1))),
                              User.id.not_in(checked_in_on(today)), User.id != detail.id)
            )
        fresh.sort(key=lambda user: user.id)
        chosen_ids = {u.id for u in fresh[:savers]}
        others = list(session.scalars(
            members.where(User.id.not_in(chosen_ids), User.id != detail.id)
            .order_by(User.id.desc()).limit(writers + 1)
        ))
        pool = fresh[:savers] or others
        cast = Cast(
            counselor=counselor, clients=clients,
            sponsor=actor_from_user(session.get(User, sponsor_id)), sponsees=sponsee_count,
            detail_member_id=detail.id, detail_member_name=detail.username,
            member=actor_from_user(detail),
            sponsee=actor_from_user(session.get(User, sponsee_id)),
            # At a tiny scale there may be fewer fresh members than runs: reuse them.
            savers=[actor_from_user(pool[i % len(pool)]) for i in range(savers)],
            writers=[actor_from_user(u) for u in others[1:writers + 1]]
            or [actor_from_user(others[0])] * writers,
            shared_writer=actor_from_user(others[0]),
        )
    if cast.sponsor.two_factor_enrolled_at is None:
        # After the read, whose transaction holds SQLite's write lock too.
        with make_session_factory(engine).begin() as session:
            set_up_second_factor(session, sponsor_id, now=now)
            cast = replace(cast, sponsor=actor_from_user(session.get(User, sponsor_id)))
    return cast
