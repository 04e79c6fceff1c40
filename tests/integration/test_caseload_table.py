"""The caseload's CSV export: the rows shown, audited per client, with consent asked again
(dashboard/caseload_table.py)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from dashboard.caseload import CaseloadFilter, caseload_for, caseload_view
from dashboard.caseload_table import caseload_csv, export_caseload_csv
from models import AuditEvent, Consent
from tests.integration.caseload_world import NOW


@pytest.fixture(autouse=True)
def stopped_at_now(time_machine):
    """This module's values are worked out by hand for NOW: the clock is stopped there, so
    that what the test builds is "now" for it too."""
    time_machine.move_to(NOW, tick=False)


def test_export_holds_the_rows_shown_and_records_one_export_per_client(
        session_factory, session, caseload):
    carla, people = caseload
    with session_factory.begin() as s:
        view = caseload_view(session=s, actor=carla, now=NOW,
                             criteria=CaseloadFilter(risks=frozenset({"high", "medium"})))
    session.commit()
    before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    session.commit()
    with session_factory.begin() as s:
        text = export_caseload_csv(session=s, actor=carla, rows=view.shown, now=NOW)
    assert text == caseload_csv(view.shown, viewer_timezone=carla.timezone)
    lines = list(csv.reader(io.StringIO(text)))
    assert [line[0] for line in lines[1:]] == ["Ana Alvarez", "Eve Evans"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert sorted((e.member_id, e.action, e.screen, e.categories) for e in events) == sorted([
        (people["ana"].id, "export", "Caseload", "checkins,flags,steps"),
        (people["eve"].id, "export", "Caseload", "checkins,flags"),
    ])


def test_export_leaves_out_a_client_who_revoked_since_the_table_was_read(
        session_factory, session, caseload):
    carla, people = caseload
    with session_factory.begin() as s:
        rows = caseload_for(session=s, actor=carla, now=NOW)
    session.execute(update(Consent).where(Consent.member_id == people["eve"].id)
                    .values(revoked_at=NOW - timedelta(seconds=1)))
    session.commit()
    with session_factory.begin() as s:
        text = export_caseload_csv(session=s, actor=carla, rows=rows, now=NOW)
    assert "Eve Evans" not in text and "Ana Alvarez" in text
    exported = session.scalars(select(AuditEvent.member_id).where(
        AuditEvent.action == "export")).all()
    assert people["eve"].id not in exported and len(exported) == 4
