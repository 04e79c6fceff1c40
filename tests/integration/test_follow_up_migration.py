"""Migration 0013 moves each flag's one follow-up to the viewer who acted, on both
backends: an acknowledgement becomes that viewer's follow-up and contact entry, with its
note still encrypted; a resolution by someone else becomes theirs; a review becomes its
sponsor's contact entry."""

from datetime import date, timedelta

from alembic import command
from sqlalchemy import select, text

from models import ContactEntry, FlagFollowUp, crypto
from models.db import alembic_config, make_session_factory, schema_is_current
from tests.factories import NOW, make_user

AT = NOW.replace(tzinfo=None) - timedelta(days=3)


def test_existing_follow_ups_move_to_the_viewer_who_acted(engine):
    with make_session_factory(engine).begin() as session:
        maria = make_user(session, "maria", "member")
        sam = make_user(session, "sam", "member", "sponsor")
        carla = make_user(session, "carla", "counselor")
    command.downgrade(alembic_config(engine), "0012")
    note = crypto.encrypt_note("Called her, agreed on a detox intake Monday")
    review_note = crypto.encrypt_note("Opened up about March")
    with engine.begin() as connection:
        rows = [
            # (id, status, acknowledged by, method, note, resolved by)
            (1, "open", None, None, None, None),
            (2, "acknowledged", sam.id, "called", note, None),
            (3, "resolved", carla.id, "met", None, carla.id),
            (4, "resolved", sam.id, "texted", None, carla.id),
        ]
        for flag_id, status, by, method, outreach, resolver in rows:
            connection.execute(text(
                "INSERT INTO flags (id, member_id, rule_id, severity, raised_on, episode_key, "
                "reason, status, created_at, acknowledged_by_id, acknowledged_at, "
                "outreach_method, outreach_note, resolved_by_id, resolved_at) VALUES (:id, "
                ":member, 'hard_day', 'medium', :day, :key, 'Marked a hard day', :status, :at, "
                ":by, :acked, :method, :note, :resolver, :resolved)"),
                {"id": flag_id, "member": maria.id, "day": date(2026, 11, 20 + flag_id),
                 "key": f"k{flag_id}", "status": status, "at": AT, "by": by,
                 "acked": AT + timedelta(hours=1) if by else None, "method": method,
                 "note": outreach, "resolver": resolver,
                 "resolved": AT + timedelta(hours=2) if resolver else None})
        connection.execute(text(
            "INSERT INTO weekly_reviews (reviewer_id, member_id, iso_week, note, created_at) "
            "VALUES (:sam, :maria, '2026-W47', :note, :at)"),
            {"sam": sam.id, "maria": maria.id, "note": review_note, "at": AT})
    command.upgrade(alembic_config(engine), "head")
    assert schema_is_current(engine)

    with make_session_factory(engine).begin() as session:
        follow_ups = {(f.flag_id, f.viewer_id): f for f in session.scalars(select(FlagFollowUp))}
        contacts = {(c.kind, c.flag_id): c for c in session.scalars(select(ContactEntry))}
        assert sorted((key, f.status) for key, f in follow_ups.items()) == [
            ((2, sam.id), "acknowledged"), ((3, carla.id), "resolved"),
            ((4, sam.id), "acknowledged"), ((4, carla.id), "resolved")]
        acknowledged = follow_ups[2, sam.id]
        entry = session.get(ContactEntry, acknowledged.contact_id)
        assert (entry.viewer_id, entry.member_id, entry.method, entry.note, entry.kind,
                entry.contacted_on) == (sam.id, maria.id, "called",
                                        "Called her, agreed on a detox intake Monday", "flag",
                                        (AT + timedelta(hours=1)).date())
        # Carla resolved a flag that sam had acknowledged: hers is resolved, with no
        # contact (nothing says how she reached out); his stays acknowledged.
        assert follow_ups[4, carla.id].contact_id is None
        assert follow_ups[4, carla.id].resolved_at is not None
        review = contacts["review", None]
        assert (review.viewer_id, review.note, review.iso_week, review.contacted_on) == (
            sam.id, "Opened up about March", "2026-W47", AT.date())
        assert len(contacts) == 4  # three acknowledgements and the review
    with engine.connect() as connection:
        columns = set(connection.execute(text("SELECT * FROM flags LIMIT 0")).keys())
    assert "status" not in columns and "acknowledged_by_id" not in columns
