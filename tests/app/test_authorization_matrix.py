"""The authorization matrix: role x screen x consent state -> what the screen shows.

Kept as a table so that a new screen or state is one more row. "name" is the
member's name, "words" the member's own words (notes), "not shared" the marker
of a category the member did not share.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard import clock
from dashboard.web.member_record import RECORD_TABLES
from models import Flag, User
from tests.app.conftest import no_exception, shown
from tests.factories import add_checkin, grant, make_user

MEMBER_NAME = "Zed Zimmer"
WORDS = "ZEDWORDS lost my job today"
FULL = ("checkins", "steps", "flags", "notes")
STATES = ("none", "active", "wrong_category", "expired", "revoked", "someone_else")

# (viewer role, screen file) -> {state: set of what shows}; a state left out shows nothing.
# A detail screen shows what it shows once the member is picked, if the picker lists them;
# before that, at most the names in the picker.
# A viewer's home screen tells them for 14 days that a member stopped sharing: the name and
# the date, nothing else (dashboard/sharing_notices.py).
MATRIX: dict[tuple[str, str], dict[str, set[str]]] = {
    ("sponsor", "weekly_review.py"): {"active": {"name", "words"},
                                      "wrong_category": {"name", "not shared"},
                                      "revoked": {"name"}},
    ("sponsor", "sponsee_detail.py"): {"active": {"name", "words"},
                                       "wrong_category": {"name", "not shared"}},
    ("counselor", "caseload.py"): {"active": {"name"}, "wrong_category": {"name", "not shared"},
                                   "revoked": {"name"}},
    ("counselor", "alerts.py"): {"active": {"name", "words"}},
    ("counselor", "client_detail.py"): {"active": {"name", "words"},
                                        "wrong_category": {"name", "not shared"}},
    # Admins manage accounts (the name is on the account list) but see no member data.
    ("admin", "users.py"): {state: {"name"} for state in STATES},
    ("admin", "audit_log.py"): {state: {"name"} for state in STATES},
    # Another member sees only their own data.
    ("member", "today.py"): {},
    ("member", "my_progress.py"): {},
    ("member", "steps.py"): {},
    ("member", "sharing.py"): {},
    ("member", "who_viewed.py"): {},
    ("member", "my_data.py"): {},
}
PURPOSE = {"sponsor": "sponsorship", "counselor": "counseling"}
DETAIL_SCREENS = {"sponsee_detail.py", "client_detail.py"}
ROLES = {"sponsor": ("member", "sponsor"), "counselor": ("counselor",), "admin": ("admin",),
         "member": ("member",)}


def page_text(at) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "text",
                                  "info", "warning", "error", "success")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [" ".join(map(str, s.options)) for s in at.selectbox]
    parts += [d.value.to_string() for d in at.dataframe]
    return shown("\n".join(str(p) for p in parts))


def arrange(session, role: str, state: str):
    now = clock.now()
    member = make_user(session, "zed", "member", name=MEMBER_NAME)
    viewer = make_user(session, "viewer", *ROLES[role], name="Vera Viewer")
    checkin = add_checkin(session, member, now.date(), craving=9, hard_day=True,
                          hard_day_reason=WORDS, journal=WORDS, gratitude=WORDS)
    session.add(Flag(member_id=member.id, rule_id="hard_day", severity="high",
                     raised_on=now.date(), episode_key="x", reason="Marked a hard day",
                     quoted_text=WORDS, checkin_id=checkin.id, created_at=now))
    purpose = PURPOSE.get(role, "sponsorship")
    window = {"starts_at": now - timedelta(days=10), "expires_at": now + timedelta(days=100)}
    if state == "active":
        grant(session, member, viewer, *FULL, purpose=purpose, **window)
    elif state == "wrong_category":
        grant(session, member, viewer, "steps", purpose=purpose, **window)
    elif state == "expired":
        grant(session, member, viewer, *FULL, purpose=purpose, starts_at=now - timedelta(days=10),
              expires_at=now - timedelta(minutes=1))
    elif state == "revoked":
        grant(session, member, viewer, *FULL, purpose=purpose, revoked_at=now - timedelta(minutes=1),
              **window)
    elif state == "someone_else":
        other = make_user(session, "other-viewer", *ROLES.get(role, ("sponsor",)),
                          *(() if role in PURPOSE else ("sponsor",)))
        grant(session, member, other, *FULL, purpose=purpose, **window)
    return viewer


CASES = [(role, screen, state) for (role, screen) in MATRIX for state in STATES
         if role in PURPOSE or state in ("active", "none")]


@pytest.mark.parametrize(("role", "screen", "state"), CASES,
                         ids=[f"{r}-{s.removesuffix('.py')}-{c}" for r, s, c in CASES])
def test_screen_shows_exactly_what_the_consent_allows(new_app, app_db, role, screen, state):
    with app_db.begin() as session:
        viewer = arrange(session, role, state)
        member_id = session.scalar(select(User.id).where(User.username == "zed"))
    at = no_exception(new_app(viewer).run())
    no_exception(at.switch_page(f"../pages/{screen}").run())
    if screen in DETAIL_SCREENS and at.selectbox:
        # Nobody's data before a pick (SPEC section 5); then the member, if listed.
        assert WORDS not in page_text(at) and "not shared" not in page_text(at)
        if MEMBER_NAME in at.selectbox[0].options:
            for table in RECORD_TABLES:  # every table of the record open
                at.session_state[table] = True
            no_exception(at.selectbox[0].set_value(member_id).run())
    text = page_text(at)
    shows = MATRIX[(role, screen)].get(state, set())
    assert (MEMBER_NAME in text) == ("name" in shows), text
    assert (WORDS in text) == ("words" in shows), text
    if "not shared" in shows:
        assert "not shared" in text
    if role in PURPOSE and shows:
        assert "Confidential" in text  # the notice beside every shared record
