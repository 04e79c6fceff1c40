"""Small builders for test data, through the same services the app uses."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from unittest import mock

from sqlalchemy.orm import Session

from dashboard import clock
from dashboard.auth import Actor, actor_from_user
from dashboard.passwords import hash_password
from dashboard.users import create_account
from models import CheckIn, Consent, ContactEntry, Flag, FlagFollowUp, User

PASSWORD = "a sturdy test passphrase"
# The instant the run started at: the real one, or TEST_NOW's (tests/conftest.py moves the
# clock there before this module is imported). Every test runs with the clock stopped here,
# unless it stops it elsewhere: the builders below read the clock when called, so that the
# data they make is "now" for the test that makes it.
NOW = clock.now()
# The authenticator secret of test users who have two-factor login (staff, by default):
# tests compute its codes with dashboard.totp_codes.code_at(TOTP_SECRET, moment).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@cache
def _hash_once(password: str) -> str:
    # A real argon2id hash, computed once per password: test users share it to save time.
    return hash_password(password)


def make_user(session: Session, username: str, *roles: str, name: str | None = None,
              timezone_name: str = "UTC", password: str = PASSWORD,
              sobriety_date: date | None = None, two_factor: bool = False) -> Actor:
    """An account as an admin would make it; with `two_factor`, two-factor login is set up
    with TOTP_SECRET. (Staff need it before any page: the AppTest helper `new_app` sets it
    up for a staff actor that lacks it.)"""
    with mock.patch("dashboard.users.hash_password", _hash_once):
        return _make_user(session, username, roles, name=name, timezone_name=timezone_name,
                          password=password, sobriety_date=sobriety_date, two_factor=two_factor)


def _make_user(session, username, roles, *, name, timezone_name, password, sobriety_date,
               two_factor):
    roles = roles or ("member",)
    user_id = create_account(
        session=session, actor=None, username=username, display_name=name or username.title(),
        password=password, roles=roles, timezone=timezone_name,
        sobriety_date=sobriety_date, must_change_password=False, now=clock.now(),
    )
    if two_factor:
        set_up_two_factor(session, user_id)
    session.flush()
    return actor_from_user(session.get(User, user_id))


def set_up_two_factor(session: Session, user_id: int) -> datetime:
    """Two-factor login set up with TOTP_SECRET, as the Two-factor screen would leave it
    minus the recovery codes (made and tested in the tests of dashboard.two_factor); the
    last code used is one of long ago. Returns the enrolment time."""
    user = session.get(User, user_id)
    user.totp_secret = TOTP_SECRET
    user.totp_enrolled_at = clock.now() - timedelta(days=30)
    user.totp_last_step = 0
    session.flush()
    return user.totp_enrolled_at


def grant(session: Session, member: Actor, recipient: Actor, *categories: str,
          purpose: str = "sponsorship", starts_at: datetime | None = None,
          expires_at: datetime | None = None, revoked_at: datetime | None = None) -> Consent:
    """A consent row as the Sharing screen would store it (validation is tested elsewhere)."""
    now = clock.now()
    starts_at = starts_at or now - timedelta(days=30)
    consent = Consent(
        member_id=member.id, recipient_id=recipient.id, purpose=purpose,
        **{f"share_{c}": c in categories for c in ("checkins", "steps", "flags", "notes")},
        signature_name=member.display_name, signed_on=starts_at.date(),
        revocation_acknowledged=True, starts_at=starts_at,
        expires_at=expires_at or now + timedelta(days=335), revoked_at=revoked_at,
        revoked_by_id=member.id if revoked_at else None, created_at=starts_at,
    )
    session.add(consent)
    session.flush()
    return consent


def add_checkin(session: Session, member: Actor, day: date, **values) -> CheckIn:
    fields = {"mood": 3, "craving": 2, "used_substances": False, "meetings": 1,
              "created_at": clock.now(), "updated_at": clock.now()} | values
    checkin = CheckIn(member_id=member.id, local_date=day, **fields)
    session.add(checkin)
    session.flush()
    return checkin


def follow_up(session: Session, flag: Flag, viewer: Actor, *, acknowledged: datetime,
              resolved: datetime | None = None, method: str = "called",
              note: str | None = None) -> FlagFollowUp:
    """A viewer's acknowledgement (and resolution) of a flag as acknowledge_flag and
    resolve_flag store them: with its entry in the viewer's contact log."""
    contact = ContactEntry(viewer_id=viewer.id, member_id=flag.member_id,
                           contacted_on=acknowledged.date(), method=method, note=note,
                           kind="flag", flag_id=flag.id, created_at=acknowledged)
    session.add(contact)
    session.flush()
    row = FlagFollowUp(flag_id=flag.id, viewer_id=viewer.id,
                       status="resolved" if resolved else "acknowledged",
                       acknowledged_at=acknowledged, contact_id=contact.id, resolved_at=resolved)
    session.add(row)
    session.flush()
    return row
