"""The counselor's alert queue (dashboard/alert_queue.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

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
    assert result.alerts[3].outreach_method == "called"
    # Risk describes Ana (reported use yesterday), whatever the queue holds.
    assert {a.risk for a in result.alerts if a.member_id == people["ana"].id} == {"high"}


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

    def seen(name):
        session.commit()
        runs = session.scalar(select(func.sum(AuditEvent.seen_count)).where(
            AuditEvent.screen == "Alerts", AuditEvent.member_id == people[name].id))
        session.commit()
        return runs or 0

    eve, ana, dee = seen("eve"), seen("ana"), seen("dee")
    second = queue(session_factory, carla, page=2, page_size=2)
    assert [a.rule_id for a in second.alerts] == ["no_checkin", "low_mood"]
    assert (second.page, second.pages, second.total) == (2, 2, 4)
    assert queue(session_factory, carla, page=9, page_size=2).page == 2  # the last one
    # Page 2 discloses Eve and Ana; page "9" is page 2 again: two more runs of the same
    # visit, which extend their events. Dee, on no page asked for, is not disclosed.
    assert session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all() == []
    assert (seen("eve"), seen("ana"), seen("dee")) == (eve + 2, ana + 2, dee)
    categories = session.scalars(select(AuditEvent.categories).where(
        AuditEvent.screen == "Alerts", AuditEvent.member_id == people["eve"].id)).all()
    assert set(categories) == {"flags"}


def test_an_empty_queue(session_factory, session):
    lone = make_user(session, "lone", "counselor")
    session.commit()
    result = queue(session_factory, lone)
    assert (result.alerts, result.total, result.by_severity) == (
        [], 0, {"high": 0, "medium": 0, "low": 0})
