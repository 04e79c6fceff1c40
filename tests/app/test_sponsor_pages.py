"""Sponsee detail, driven as a sponsor would, on demo data (Weekly review: its own module)."""

import pytest
from sqlalchemy import select

from dashboard.member_record import shared_member_choices
from models import AuditEvent
from tests.app.conftest import by_label, no_exception, titles
from tests.factories import NOW


@pytest.fixture
def sqlite_url(demo_sqlite_url):
    """The demo caseload (tests/app/conftest.py), a copy for each test."""
    return demo_sqlite_url


def open_page(new_app, actor, page):
    at = no_exception(new_app(actor).run(timeout=60))
    return no_exception(at.switch_page(f"../pages/{page}").run(timeout=60))


def detail_views(app_db, viewer) -> list[int]:
    """The members of the Sponsee detail screen's view events of `viewer`, in order."""
    with app_db() as session:
        return list(session.scalars(
            select(AuditEvent.member_id)
            .where(AuditEvent.actor_id == viewer.id, AuditEvent.action == "view",
                   AuditEvent.screen == "Sponsee detail").order_by(AuditEvent.id)))


def test_sponsee_detail_discloses_nobody_until_a_sponsee_is_picked(new_app, app_db, sponsor):
    at = open_page(new_app, sponsor, "sponsee_detail.py")
    assert titles(at) == ["Sponsee detail"]
    picker = by_label(at.selectbox, "Sponsee")
    assert picker.value is None and picker.options
    assert any("Choose a sponsee" in i.value for i in at.info)
    assert not at.header and not at.dataframe and not at.metric
    no_exception(at.run(timeout=60))
    assert detail_views(app_db, sponsor) == []

    with app_db() as session:
        first = next(iter(shared_member_choices(session=session, actor=sponsor,
                                                purpose="sponsorship", now=NOW)))
    by_label(at.selectbox, "Sponsee").set_value(first).run(timeout=60)
    no_exception(at)
    assert "Step timeline" in [s.value for s in at.header] or any(
        "not shared" in m.value for m in at.markdown)
    assert detail_views(app_db, sponsor) == [first]

    no_exception(at.switch_page("../pages/weekly_review.py").run(timeout=60))
    no_exception(at.switch_page("../pages/sponsee_detail.py").run(timeout=60))
    assert by_label(at.selectbox, "Sponsee").value is None
    assert detail_views(app_db, sponsor) == [first]


def test_sponsee_detail_over_each_range(new_app, app_db, sponsor):
    at = open_page(new_app, sponsor, "sponsee_detail.py")
    with app_db() as session:
        first, *_, last = shared_member_choices(session=session, actor=sponsor,
                                                purpose="sponsorship", now=NOW)
    by_label(at.selectbox, "Sponsee").set_value(first).run(timeout=60)
    no_exception(at)
    assert "Step timeline" in [s.value for s in at.header] or any(
        "not shared" in m.value for m in at.markdown)
    for days in (7, 90, 365):
        at.segmented_control[0].set_value(days).run(timeout=60)
        no_exception(at)
        assert by_label(at.selectbox, "Sponsee").value == first
    by_label(at.selectbox, "Sponsee").set_value(last).run(timeout=60)
    no_exception(at)
    assert by_label(at.selectbox, "Sponsee").value == last

