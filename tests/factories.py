"""Small builders for test data, through the same services the app uses."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import cache
from unittest import mock

from sqlalchemy.orm import Session

from dashboard.auth import Actor, actor_from_user
from dashboard.passwords import hash_password
from dashboard.users import create_account
from models import CheckIn, Consent, User

PASSWORD = "a sturdy test passphrase"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)


@cache
def _hash_once(password: str) -> str:
    # A real argon2id hash, computed once per password: test users share it to save time.
    return hash_password(password)


def make_user(session: Session, username: str, *roles: str, name: str | None = None,
              timezone_name: str = "UTC", password: str = PASSWORD,
              sobriety_date: date | None = None) -> Actor:
    with mock.patch("dashboard.users.hash_password", _hash_once):
        return _make_user(session, username, roles, name=name, timezone_name=timezone_name,
                          password=password, sobriety_date=sobriety_date)


def _make_user(session, username, roles, *, name, timezone_name, password, sobriety_date):
    user_id = create_account(
        session=session, actor=None, username=username, display_name=name or username.title(),
        password=password, roles=roles or ("member",), timezone=timezone_name,
        sobriety_date=sobriety_date, must_change_password=False, now=NOW,
    )
    session.flush()
    return actor_from_user(session.get(User, user_id))


def grant(session: Session, member: Actor, recipient: Actor, *categories: str,
          purpose: str = "sponsorship", starts_at: datetime | None = None,
          expires_at: datetime | None = None, revoked_at: datetime | None = None) -> Consent:
    """A consent row as the Sharing screen would store it (validation is tested elsewhere)."""
    starts_at = starts_at or NOW - timedelta(days=30)
    consent = Consent(
        member_id=member.id, recipient_id=recipient.id, purpose=purpose,
        **{f"share_{c}": c in categories for c in ("checkins", "steps", "flags", "notes")},
        signature_name=member.display_name, signed_on=starts_at.date(),
        revocation_acknowledged=True, starts_at=starts_at,
        expires_at=expires_at or NOW + timedelta(days=335), revoked_at=revoked_at,
        revoked_by_id=member.id if revoked_at else None, created_at=starts_at,
    )
    session.add(consent)
    session.flush()
    return consent


def add_checkin(session: Session, member: Actor, day: date, **values) -> CheckIn:
    fields = {"mood": 3, "craving": 2, "used_substances": False, "meetings": 1} | values
    checkin = CheckIn(member_id=member.id, local_date=day, **fields)
    session.add(checkin)
    session.flush()
    return checkin
