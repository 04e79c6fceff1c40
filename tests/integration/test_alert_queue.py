"""The counselor's alert queue (dashboard/alert_queue.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.alert_queue import alert_queue
from models import AuditEvent
from tests.factories import make_user
from tests.integration.caseload_world import NOW, flag


@pytest.fixture(autouse=True)
def stopped_at_now(time_machine):
    """This module's values are worked out by hand for NOW: the clock is stopped there, so
    that what the test builds is "now" for it too."""
    time_machine.move_to(NOW, tick=False)


def queue(session_factory, actor, **kwargs):
    with session_factory.begin() as s:
        return alert_queue(session=s, actor=actor, now=NOW, **kwargs)


def test_alerts_by_severity_then_age_open_and_acknowledged(session_factory, caseload):
    carla, people = caseload
    result = queue(session_factory, carla)
    assert [(a.display_name, a.rule_id, a.status) for a in result.alerts] == [
        ("Ana Alvarez", "used_substances", "open"),
        ("Ana Alvarez", "hard_day", "open"),
        ("Eve Evans", "no_checkin", "open"),  # raised today by the sweep
        ("Ana Alvarez", "low_mood", "acknowledged"),
    ]
    assert (result.total, result.page, result.pages) == (4, 1, 1)
    assert result.by_severity == {"high": 1, "medium": 2, "low": 1}
    first = result.alerts[0]
    assert first.quoted_text == "Went to the party"  # Ana shares notes
    assert (first.days_open, first.rule_label) == (1, "Reported use")
    assert result.alerts[3].acknowledged_by_me and result.alerts[3].outreach_method == "called"


def test_alerts_hide_the_clients_words_without_notes(session_factory, session, caseload):
    carla, people = caseload
    session.add(flag(people["dee"], "hard_day", "medium", quoted="Fight with my sister"))
    session.commit()
    dee = [a for a in queue(session_factory, carla).alerts if a.member_id == people["dee"].id]
    assert [a.quoted_text for a in dee] == [None]


def test_alert_filters_and_pages_apply_before_disclosure(session_factory, session, caseload):
    carla, people = caseload
    assert [a.rule_id for a in queue(session_factory, carla, severities=["medium"]).alerts] == [
        "hard_day", "no_checkin"]
    only = queue(session_factory, carla, rule_ids=["no_checkin", "low_mood"])
    assert [a.rule_id for a in only.alerts] == ["no_checkin", "low_mood"]
    session.commit()
    before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    session.commit()
    second = queue(session_factory, carla, page=2, page_size=2)
    assert [a.rule_id for a in second.alerts] == ["no_checkin", "low_mood"]
    assert (second.page, second.pages, second.total) == (2, 2, 4)
    assert queue(session_factory, carla, page=9, page_size=2).page == 2  # the last one
    events = session.scalars(select(AuditEvent).where(AuditEvent.id > before,
                                                      AuditEvent.screen == "Alerts")).all()
    # Page 2 discloses Eve and Ana (one event each); page "9" is page 2 again.
    assert sorted(e.member_id for e in events) == sorted(
        [people["eve"].id, people["ana"].id] * 2)
    assert {e.categories for e in events if e.member_id == people["eve"].id} == {"flags"}


def test_an_empty_queue(session_factory, session):
    lone = make_user(session, "lone", "counselor")
    session.commit()
    result = queue(session_factory, lone)
    assert (result.alerts, result.total, result.by_severity) == (
        [], 0, {"high": 0, "medium": 0, "low": 0})
