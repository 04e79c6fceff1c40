"""Property tests of the consent policy against a reference model written here.

They run on SQLite (the PostgreSQL behaviour of the same queries is covered by
test_policy.py); each example rewrites the consents table from scratch.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import delete

from dashboard.errors import NotFound
from dashboard.member_record import member_record
from dashboard.policy import allowed_categories
from dashboard.sharing import grant_consent, revoke_consent
from models import CATEGORIES, Consent
from models.db import make_engine, make_session_factory, upgrade_to_head
from tests.factories import NOW, make_user

ROLE_FOR_PURPOSE = {"sponsorship": "sponsor", "counseling": "counselor"}
VIEWER_ROLES = {
    "sam": ("member", "sponsor"),
    "carla": ("counselor",),
    "both": ("sponsor", "counselor"),
    "otto": ("member",),
}
MEMBERS = ("maria", "mike")
PURPOSES = (None, "sponsorship", "counseling")


@dataclass(frozen=True)
class ConsentSpec:
    member: str
    recipient: str
    purpose: str
    categories: frozenset[str]
    starts_h: int
    duration_h: int
    revoked_h: int | None

    def active_at(self, at_h: int) -> bool:
        # Revoked is a state: whenever the revocation was stamped, even "after" at_h (a
        # clock that stepped back), the consent grants nothing.
        return self.starts_h <= at_h < self.starts_h + self.duration_h and self.revoked_h is None


def model_allowed(specs, viewer: str, member: str, at_h: int, purpose: str | None) -> frozenset:
    """The reference: union of categories over active consents the viewer's roles qualify for."""
    granted: set[str] = set()
    for c in specs:
        if (c.member == member and c.recipient == viewer and c.active_at(at_h)
                and (purpose is None or c.purpose == purpose)
                and ROLE_FOR_PURPOSE[c.purpose] in VIEWER_ROLES[viewer]):
            granted |= c.categories
    return frozenset(granted)


consent_specs = st.builds(
    ConsentSpec,
    member=st.sampled_from(MEMBERS),
    recipient=st.sampled_from(sorted(VIEWER_ROLES)),
    purpose=st.sampled_from(["sponsorship", "counseling"]),
    categories=st.frozensets(st.sampled_from(CATEGORIES), min_size=1),
    starts_h=st.integers(-48, 48),
    duration_h=st.integers(1, 96),
    revoked_h=st.none() | st.integers(-48, 150),
)
query_hours = st.lists(st.integers(-60, 150), min_size=1, max_size=3)


@pytest.fixture
def world(sqlite_engine):
    factory = make_session_factory(sqlite_engine)
    with factory.begin() as session:
        ids = {name: make_user(session, name, *roles).id for name, roles in VIEWER_ROLES.items()}
        ids |= {name: make_user(session, name, "member").id for name in MEMBERS}
    return factory, ids


def store(factory, ids, specs) -> None:
    with factory.begin() as session:
        session.execute(delete(Consent))
        for c in specs:
            starts = NOW + timedelta(hours=c.starts_h)
            session.add(Consent(
                member_id=ids[c.member], recipient_id=ids[c.recipient], purpose=c.purpose,
                **{f"share_{k}": k in c.categories for k in CATEGORIES},
                signature_name=c.member, signed_on=starts.date(), revocation_acknowledged=True,
                starts_at=starts, expires_at=starts + timedelta(hours=c.duration_h),
                revoked_at=None if c.revoked_h is None else NOW + timedelta(hours=c.revoked_h),
                created_at=starts,
            ))


def observed(factory, ids, at_h: int) -> dict:
    with factory() as session:
        return {
            (viewer, member, purpose): allowed_categories(
                session, viewer_id=ids[viewer], member_id=ids[member],
                at=NOW + timedelta(hours=at_h), purpose=purpose)
            for viewer in VIEWER_ROLES for member in MEMBERS for purpose in PURPOSES
        }


def expected(specs, at_h: int) -> dict:
    return {
        (viewer, member, purpose): model_allowed(specs, viewer, member, at_h, purpose)
        for viewer in VIEWER_ROLES for member in MEMBERS for purpose in PURPOSES
    }


FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(specs=st.lists(consent_specs, max_size=6), hours=query_hours)
def test_policy_equals_the_model(world, specs, hours):
    factory, ids = world
    store(factory, ids, specs)
    for at_h in hours:
        assert observed(factory, ids, at_h) == expected(specs, at_h)


@settings(FAST, max_examples=15)
@given(hours=query_hours)
def test_default_deny(world, hours):
    factory, ids = world
    store(factory, ids, [])
    for at_h in hours:
        assert all(v == frozenset() for v in observed(factory, ids, at_h).values())


@FAST
@given(specs=st.lists(consent_specs, min_size=2, max_size=5), data=st.data())
def test_result_does_not_depend_on_creation_order(world, specs, data):
    factory, ids = world
    at_h = data.draw(st.integers(-60, 150))
    store(factory, ids, specs)
    first = observed(factory, ids, at_h)
    store(factory, ids, data.draw(st.permutations(specs)))
    assert observed(factory, ids, at_h) == first


@FAST
@given(specs=st.lists(consent_specs, max_size=4), extra=consent_specs, at_h=st.integers(-60, 150))
def test_adding_a_consent_never_removes_access(world, specs, extra, at_h):
    factory, ids = world
    store(factory, ids, specs)
    before = observed(factory, ids, at_h)
    store(factory, ids, [*specs, extra])
    after = observed(factory, ids, at_h)
    assert all(before[key] <= after[key] for key in before)


@FAST
@given(specs=st.lists(consent_specs, min_size=1, max_size=5), data=st.data())
def test_revoking_never_adds_and_revoke_beats_grant(world, specs, data):
    factory, ids = world
    at_h = data.draw(st.integers(-60, 150))
    index = data.draw(st.integers(0, len(specs) - 1))
    # Stamped before or after the query's moment: a clock that stepped back must not matter.
    revoked_h = data.draw(st.integers(-60, 150))
    store(factory, ids, specs)
    before = observed(factory, ids, at_h)
    revoked = replace(specs[index], revoked_h=revoked_h)
    changed = [*specs[:index], revoked, *specs[index + 1:]]
    store(factory, ids, changed)
    after = observed(factory, ids, at_h)
    assert all(after[key] <= before[key] for key in before)
    # A revoked consent contributes nothing, whenever its revocation was stamped.
    assert observed(factory, ids, at_h) == expected([c for i, c in enumerate(changed)
                                                     if i != index], at_h)


_TEMPLATE: dict[str, Path] = {}


def _fresh_database() -> str:
    """A migrated SQLite file per state machine run (copied from one migrated template)."""
    if "path" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="policy-machine-"))
        engine = make_engine(f"sqlite:///{folder / 'template.db'}")
        upgrade_to_head(engine)
        engine.dispose()
        _TEMPLATE["path"] = folder / "template.db"
    copy = Path(tempfile.mkdtemp(prefix="policy-run-")) / "run.db"
    shutil.copy(_TEMPLATE["path"], copy)
    return f"sqlite:///{copy}"


class ConsentLifecycle(RuleBasedStateMachine):
    """grant -> view -> revoke / expire -> view: no view ever succeeds after either."""

    @initialize()
    def set_up(self):
        self.engine = make_engine(_fresh_database())
        self.factory = make_session_factory(self.engine)
        with self.factory.begin() as session:
            self.member = make_user(session, "maria", "member", name="Maria Garcia")
            self.viewers = {
                "sponsorship": make_user(session, "sam", "member", "sponsor"),
                "counseling": make_user(session, "carla", "counselor"),
            }
        self.now = NOW
        self.active: dict[str, tuple[frozenset, object]] = {}  # purpose -> (categories, expiry)

    def teardown(self):
        if hasattr(self, "engine"):
            self.engine.dispose()

    def _model(self, purpose):
        entry = self.active.get(purpose)
        if entry is None or self.now >= entry[1]:
            return frozenset()
        return entry[0]

    @rule(purpose=st.sampled_from(["sponsorship", "counseling"]),
          categories=st.frozensets(st.sampled_from(CATEGORIES), min_size=1),
          days=st.integers(0, 3))
    def grant(self, purpose, categories, days):
        expires_on = self.now.date() + timedelta(days=days)
        with self.factory.begin() as session:
            grant_consent(session=session, actor=self.member,
                          recipient_username=self.viewers[purpose].username, purpose=purpose,
                          categories=categories, expires_on=expires_on,
                          signature_name="Maria Garcia", revocation_acknowledged=True,
                          now=self.now)
        end = datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=timezone.utc)
        self.active[purpose] = (categories, end)

    @rule(purpose=st.sampled_from(["sponsorship", "counseling"]))
    def revoke(self, purpose):
        if not self._model(purpose):
            return
        with self.factory() as session:
            consent_id = session.query(Consent.id).filter(
                Consent.recipient_id == self.viewers[purpose].id, Consent.revoked_at.is_(None),
                Consent.expires_at > self.now).scalar()
        with self.factory.begin() as session:
            revoke_consent(session=session, actor=self.member, consent_id=consent_id, now=self.now)
        self.active.pop(purpose)

    @rule(hours=st.integers(1, 60))
    def advance_clock(self, hours):
        self.now += timedelta(hours=hours)

    @invariant()
    def views_match_the_model(self):
        if not hasattr(self, "factory"):
            return
        for purpose, viewer in self.viewers.items():
            expected_categories = self._model(purpose)
            try:
                with self.factory.begin() as session:
                    record = member_record(session=session, actor=viewer,
                                           member_id=self.member.id, purpose=purpose,
                                           screen="test", now=self.now)
            except NotFound:
                assert expected_categories == frozenset()
            else:
                assert record.categories == expected_categories


ConsentLifecycle.TestCase.settings = settings(max_examples=25, stateful_step_count=12,
                                              deadline=None)
test_consent_lifecycle = ConsentLifecycle.TestCase
