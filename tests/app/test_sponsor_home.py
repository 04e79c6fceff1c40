"""Where a sponsor lands, and the triage line of a sponsee who shares little."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.labels import NOT_SHARED
from models import Flag, FlagFollowUp
from tests.app.conftest import by_label, no_exception, shown, titles
from tests.factories import NOW, add_checkin, grant, make_user

TRIAGE = "Choose a sponsee to open their week"


def landing(new_app, actor) -> list[str]:
    """The title of the screen the person lands on once logged in."""
    return titles(no_exception(new_app(actor).run(timeout=60)))


@pytest.mark.parametrize("roles", [("member", "sponsor"), ("sponsor",)])
def test_a_sponsor_someone_shares_with_lands_on_weekly_review(new_app, app_db, roles):
    with app_db.begin() as session:
        sponsor = make_user(session, "sam", *roles)
        ana = make_user(session, "ana", "member", name="Ana A.")
        grant(session, ana, sponsor, "checkins")
    assert landing(new_app, sponsor) == ["Weekly review"]


def test_today_is_one_click_away_for_a_member_who_sponsors(new_app, app_db):
    with app_db.begin() as session:
        sponsor = make_user(session, "sam", "member", "sponsor")
        grant(session, make_user(session, "ana", "member"), sponsor, "steps")
    at = no_exception(new_app(sponsor).run(timeout=60))
    assert titles(no_exception(at.switch_page("../pages/today.py").run(timeout=60))) == ["Today"]


def test_a_member_who_sponsors_nobody_yet_lands_on_today(new_app, app_db):
    with app_db.begin() as session:
        sponsor = make_user(session, "sam", "member", "sponsor")
        # A consent to someone else, and one of theirs that ended, make no sponsee of sam.
        other = make_user(session, "sue", "member", "sponsor")
        ana = make_user(session, "ana", "member")
        grant(session, ana, other, "checkins")
        grant(session, ana, sponsor, "checkins", revoked_at=NOW)
    assert landing(new_app, sponsor) == ["Today"]


def test_a_sponsor_without_sponsees_or_member_role_lands_on_an_explained_weekly_review(
        new_app, app_db):
    with app_db.begin() as session:
        sponsor = make_user(session, "sam", "sponsor")
    at = no_exception(new_app(sponsor).run(timeout=60))
    assert titles(at) == ["Weekly review"]
    assert any("No sponsee shares their data with you yet" in i.value for i in at.info)


def test_a_member_lands_on_today(new_app, app_db):
    with app_db.begin() as session:
        member = make_user(session, "maria", "member")
    assert landing(new_app, member) == ["Today"]


def test_a_category_not_shared_reads_not_shared_in_the_triage_row(new_app, app_db):
    with app_db.begin() as session:
        sponsor = make_user(session, "sam", "member", "sponsor")
        ana = make_user(session, "ana", "member", name="Ana A.")
        ben = make_user(session, "ben", "member", name="Ben B.")
        grant(session, ana, sponsor, "checkins", "steps", "flags")
        grant(session, ben, sponsor, "steps")
        add_checkin(session, ana, NOW.date() - timedelta(days=7))  # in last week
    at = no_exception(new_app(sponsor).run(timeout=60))
    triage = by_label(at.radio, TRIAGE)
    rows = dict(zip(map(shown, triage.options), triage.proto.captions, strict=True))
    assert set(rows) == {"Ana A.", "Ben B."}
    for words in ("Check-ins not shared", "Hard days and flags not shared"):
        assert words in rows["Ben B."]
        assert words not in rows["Ana A."]
    assert "Steps not shared" not in rows["Ben B."] and "step 1" in rows["Ben B."]
    assert "1 of " in rows["Ana A."] and "no hard day" in rows["Ana A."]

    # Ben's week: his check-in figures say "not shared", never a dash or a zero.
    triage.set_value(ben.id).run(timeout=60)
    figures = {m.label: m.value for m in no_exception(at).metric}
    assert figures["Mean mood"] == figures["Highest craving"] == figures["Check-ins"] == NOT_SHARED


def test_flags_that_read_alike_are_acknowledged_together(new_app, app_db):
    """Two weeks of the same pattern have the same words; Streamlit keeps a multiselect's
    choices as text, so each choice must read differently or one flag is sent twice."""
    with app_db.begin() as session:
        sponsor = make_user(session, "sam", "member", "sponsor")
        ana = make_user(session, "ana", "member", name="Ana A.")
        grant(session, ana, sponsor, "checkins", "flags")
        for weeks_ago in (1, 2):
            session.add(Flag(member_id=ana.id, rule_id="low_mood", severity="medium",
                             raised_on=NOW.date() - timedelta(weeks=weeks_ago),
                             episode_key=f"streak{weeks_ago}", created_at=NOW,
                             reason="Low mood on 5 of the last 5 check-ins"))
    at = no_exception(new_app(sponsor).run(timeout=60))
    choices = by_label(at.multiselect, "Ana A\\.'s flags to acknowledge")
    assert len(set(choices.options)) == 2
    by_label(at.radio, "How did you reach out to Ana A\\.?").set_value("called")
    by_label(at.button, "Acknowledge Ana A\\.'s flags").click().run(timeout=60)
    no_exception(at)
    assert not at.error
    assert [shown(s.value) for s in at.success] == ["2 flags acknowledged."]
    with app_db() as session:
        assert len(session.scalars(select(FlagFollowUp).where(
            FlagFollowUp.viewer_id == sponsor.id)).all()) == 2
