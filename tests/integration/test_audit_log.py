"""The administrator's audit log and its CSV (dashboard/audit_log.py)."""

import csv
import io

from dashboard.audit import record_event
from dashboard.audit_log import audit_csv, audit_log
from tests.factories import NOW, make_user


def test_the_csv_holds_the_rows_shown_and_defuses_formulas(session_factory, session):
    admin = make_user(session, "root", "admin")
    member = make_user(session, "mallory", "member")
    record_event(session, actor_id=member.id, action="login_failed", outcome="denied", at=NOW,
                 detail="@SUM(1+1)")
    session.commit()
    with session_factory.begin() as s:
        rows = audit_log(session=s, actor=admin, now=NOW)
    exported = list(csv.DictReader(io.StringIO(audit_csv(rows))))
    assert len(exported) == len(rows) == 3  # two accounts created, one failed login
    assert (exported[0]["actor"], exported[0]["action"], exported[0]["detail"],
            exported[0]["at"]) == ("mallory", "login_failed", "'@SUM(1+1)", NOW.isoformat())
