"""The member's pages as a member uses them: Today, My progress, Steps and My data."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dashboard import clock
from dashboard.timeutil import day_label, local_today
from models import CheckIn, MemberProfile, SobrietyDateChange, StepProgress, User
from tests.app.conftest import no_exception, shown, titles
from tests.factories import PASSWORD, add_checkin, make_user

CHECKIN_LABELS = ["Day", "Mood", "Craving", "Used substances today", "Meetings attended",
                  "Actions done", "Sleep hours", "Hard day", "Hard day reason", "Gratitude",
                  "Journal", "Share this entry with the people I share notes with"]


@pytest.fixture
def maria(app_db):
    with app_db.begin() as session:
        return make_user(session, "maria", "member", name="Maria G.",
                         timezone_name="America/Los_Angeles", sobriety_date=date(2025, 6, 1))


def today_for(actor) -> date:
    return today_for_zone(actor.timezone)


def today_for_zone(zone: str) -> date:
    return local_today(zone, clock.now())


def field(at, kind: str, label: str):
    return next(w for w in getattr(at, kind) if w.label == label)


def save(at):
    next(b for b in at.button if b.label in ("Save check-in", "Save changes")).click().run()
    return no_exception(at)


def checkins_of(app_db, actor):
    with app_db() as session:
        return session.scalars(select(CheckIn).where(CheckIn.member_id == actor.id)
                               .order_by(CheckIn.local_date)).all()


def test_today_shows_every_field_with_its_label_and_a_hint(new_app, maria):
    at = no_exception(new_app(maria).run())
    assert titles(at) == ["Today"]
    fields = [w for w in at.main if getattr(w, "label", None) in CHECKIN_LABELS]
    assert sorted(w.label for w in fields) == sorted(CHECKIN_LABELS)  # each once
    # Each field's hint is its help, beside the label: the form fits a phone's screen.
    assert all(w.help for w in fields), [w.label for w in fields if not w.help]
    hints = [c.value for c in at.caption]
    assert "America/Los_Angeles" in hints[0]
    # Who reads the member's words stays in view, not behind a help.
    assert any("Only the people you share notes with" in hint for hint in hints)
    assert any("only you read this entry" in hint for hint in hints)


def test_the_last_14_days_read_as_words_and_the_words_in_full_under_the_table(
        new_app, app_db, maria):
    reason = ("My brother called about selling the house, and all of it came back: "
              "the funeral, the lawyers, the months nobody spoke. I went for a walk instead.")
    with app_db.begin() as session:
        add_checkin(session, maria, today_for(maria), hard_day=True, hard_day_reason=reason,
                    gratitude="A walk by the river", sleep_hours=7.5)
        add_checkin(session, maria, today_for(maria) - timedelta(days=1))
    at = no_exception(new_app(maria).run())
    [table] = at.dataframe
    frame = table.value
    # Every cell a word, never a blank: a screen reader reads out the cell's value.
    assert list(frame["Hard day"]) == ["Yes", "No"]
    assert list(frame["Actions"]) == ["None", "None"]
    assert [cell.strip("\u2007") for cell in frame["Sleep (h)"]] == ["7.5", "Not recorded"]
    assert list(frame["Late"]) == ["On time", "On time"]
    # The words, too long for a cell, are in full under the table, by day.
    [words] = [e for e in at.expander if e.label == "What you wrote, day by day"]
    text = shown("\n".join(m.value for m in words.markdown))
    assert f"Hard-day reason: {reason}" in text
    assert "Gratitude: A walk by the river" in text
    assert text.count("**") == 2  # one day has words; the other is not listed


def test_a_check_in_is_saved_then_edited_never_duplicated(new_app, app_db, maria):
    at = new_app(maria).run()
    field(at, "segmented_control", "Mood").set_value(4)
    field(at, "slider", "Craving").set_value(3)
    field(at, "pills", "Actions done").set_value(["called_support"])
    field(at, "number_input", "Sleep hours").set_value(7.5)
    field(at, "text_area", "Gratitude").set_value("A quiet morning")
    save(at)
    assert any("Saved your check-in for today" in s.value for s in at.success)
    assert not at.error

    # Opening the page again shows today's check-in, and saving changes that one.
    at = new_app(maria).run()
    assert field(at, "segmented_control", "Mood").value == 4
    assert field(at, "text_area", "Gratitude").value == "A quiet morning"
    field(at, "segmented_control", "Mood").set_value(2)
    save(at)
    assert any("Updated your check-in for today" in s.value for s in at.success)
    [row] = checkins_of(app_db, maria)
    assert (row.local_date, row.mood, row.craving, row.called_support, row.sleep_hours,
            row.gratitude) == (today_for(maria), 2, 3, True, 7.5, "A quiet morning")


def test_a_journal_entry_is_shared_only_when_the_box_is_ticked(new_app, app_db, maria):
    share = "Share this entry with the people I share notes with"
    at = new_app(maria).run()
    assert field(at, "checkbox", share).value is False  # private unless the member says so
    assert any("only you read this entry" in c.value for c in at.caption)
    field(at, "segmented_control", "Mood").set_value(3)
    field(at, "text_area", "Journal").set_value("For my sponsor to read")
    field(at, "checkbox", share).check()
    save(at)
    [row] = checkins_of(app_db, maria)
    assert (row.journal, row.journal_shared) == ("For my sponsor to read", True)

    # The form opens with the entry's choice, and unticking makes it private again.
    at = new_app(maria).run()
    assert field(at, "checkbox", share).value is True
    field(at, "checkbox", share).uncheck()
    save(at)
    [row] = checkins_of(app_db, maria)
    assert (row.journal, row.journal_shared) == ("For my sponsor to read", False)


def test_a_database_busy_past_every_retry_is_a_message_and_the_form_keeps_its_values(
        new_app, app_db, maria, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    import dashboard.checkins

    attempts = []

    def locked(**_):
        attempts.append(1)
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(dashboard.checkins, "save_checkin", locked)
    at = new_app(maria).run()
    field(at, "segmented_control", "Mood").set_value(4)
    field(at, "text_area", "Journal").set_value("Worth keeping")
    save(at)
    assert len(attempts) == 5  # tried again before giving up
    assert [e.value for e in at.error] == [
        "The database is busy right now. Nothing was changed. Please try again in a moment."]
    assert field(at, "text_area", "Journal").value == "Worth keeping"
    assert checkins_of(app_db, maria) == []


def test_a_save_whose_connection_dropped_is_tried_again(new_app, app_db, maria, monkeypatch):
    """A check-in save is an upsert: when PostgreSQL restarts under it, the save runs again
    on a new connection instead of failing."""
    from sqlalchemy.exc import OperationalError

    import dashboard.checkins

    class Dropped(Exception):
        sqlstate = "57P01"  # terminating connection due to administrator command

    real_save, attempts = dashboard.checkins.save_checkin, []

    def dropped_once(**kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("INSERT", {}, Dropped("terminating connection"))
        return real_save(**kwargs)

    monkeypatch.setattr(dashboard.checkins, "save_checkin", dropped_once)
    at = new_app(maria).run()
    field(at, "segmented_control", "Mood").set_value(4)
    field(at, "text_area", "Journal").set_value("Saved despite the restart")
    save(at)
    assert len(attempts) == 2 and not at.error
    assert [c.journal for c in checkins_of(app_db, maria)] == ["Saved despite the restart"]


def test_fields_at_their_edges_and_invalid_values_are_explained(new_app, app_db, maria):
    today = today_for(maria)
    at = new_app(maria).run()
    # The widgets offer only what the check-in accepts...
    craving = field(at, "slider", "Craving")
    assert (craving.min, craving.max) == (0, 10)
    meetings = field(at, "number_input", "Meetings attended")
    assert (meetings.min, meetings.max) == (0, 10)
    assert field(at, "number_input", "Sleep hours").max == 24
    assert [field(at, "text_area", n).max_chars for n in ("Hard day reason", "Gratitude",
                                                          "Journal")] == [500, 1_000, 5_000]
    # ...today and the 7 days before it, in the member's time zone, and no other day...
    # (tests/app/test_member_screens_structure.py reads the words of each)
    days = field(at, "selectbox", "Day").options
    assert len(days) == 8 and days[0].startswith("Today, ")
    assert days[-1] == day_label(today - timedelta(days=7), today=today, weekday=True,
                                 short=True)
    assert field(at, "selectbox", "Day").value == today

    # ...and a missing mood, or a reason on a day not marked hard, is said next to the field.
    field(at, "text_area", "Hard day reason").set_value("Drove past my old bar")
    save(at)
    errors = [e.value for e in at.error]
    assert any("Choose how your mood is" in e for e in errors)
    assert any('set "Hard day" to Yes' in e for e in errors)
    assert any("not saved yet: 2 fields above need" in w.value for w in at.warning)
    assert checkins_of(app_db, maria) == []

    # The edges themselves are accepted: 7 days back (late), mood 5, craving 10, 24 hours of
    # sleep and a journal of exactly 5,000 characters.
    field(at, "selectbox", "Day").set_value(today - timedelta(days=7)).run()
    assert any("marked as filled in late" in i.value for i in at.info)
    field(at, "segmented_control", "Mood").set_value(5)
    field(at, "slider", "Craving").set_value(10)
    field(at, "number_input", "Sleep hours").set_value(24.0)
    field(at, "text_area", "Journal").set_value("j" * 5_000)
    field(at, "radio", "Hard day").set_value("Yes")
    field(at, "text_area", "Hard day reason").set_value("r" * 500)
    save(at)
    assert not at.error
    [row] = checkins_of(app_db, maria)
    assert (row.local_date, row.is_late, row.mood, row.craving, row.sleep_hours,
            len(row.journal), len(row.hard_day_reason)) == (
        today - timedelta(days=7), True, 5, 10, 24.0, 5_000, 500)


def test_a_hard_day_brings_kind_words_and_the_crisis_lines(new_app, maria):
    at = new_app(maria).run()
    field(at, "segmented_control", "Mood").set_value(2)
    field(at, "radio", "Hard day").set_value("Yes")
    field(at, "text_area", "Hard day reason").set_value("Lonely evening")
    save(at)
    text = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "Hard days are part of recovery" in text
    assert "988" in text and "1-800-662-4357" in text


def test_reported_use_asks_before_resetting_the_sobriety_date(new_app, app_db, maria):
    today = today_for(maria)
    at = new_app(maria).run()
    field(at, "segmented_control", "Mood").set_value(1)
    field(at, "radio", "Used substances today").set_value("Yes")
    save(at)
    text = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "Thank you for being honest" in text and "988" in text
    assert any("start your sobriety count again" in m.value for m in at.markdown)
    with app_db() as session:
        assert session.get(MemberProfile, maria.id).sobriety_date == date(2025, 6, 1)

    next(b for b in at.button if b.label.startswith("Yes, start again")).click().run()
    no_exception(at)
    new_date = today + timedelta(days=1)
    assert any(f"now {day_label(new_date)}." in s.value for s in at.success)
    with app_db() as session:
        assert session.get(MemberProfile, maria.id).sobriety_date == new_date
        [change] = session.scalars(select(SobrietyDateChange)).all()
        assert change.previous_date == date(2025, 6, 1)

    at.switch_page("../pages/my_progress.py").run()
    no_exception(at)
    assert "Earlier sobriety dates" in [e.label for e in at.expander]
    assert any("count starts tomorrow" in c.value for c in at.caption)


def test_declining_the_reset_keeps_the_date(new_app, app_db, maria):
    at = new_app(maria).run()
    field(at, "segmented_control", "Mood").set_value(2)
    field(at, "radio", "Used substances today").set_value("Yes")
    save(at)
    next(b for b in at.button if b.label == "Not now, keep my date").click().run()
    assert not any("start your sobriety count again" in m.value for m in at.markdown)
    with app_db() as session:
        assert session.get(MemberProfile, maria.id).sobriety_date == date(2025, 6, 1)
        assert session.scalar(select(func.count()).select_from(SobrietyDateChange)) == 0


def test_my_progress_shows_counter_streak_milestone_and_charts(new_app, app_db, maria):
    today = today_for(maria)
    with app_db.begin() as session:
        for n in range(5):
            add_checkin(session, maria, today - timedelta(days=n + 1), mood=3 + n % 2,
                        hard_day=n == 2)
    at = no_exception(new_app(maria).switch_page("../pages/my_progress.py").run())
    metrics = {m.label: m.value for m in at.metric}
    days = (today - date(2025, 6, 1)).days
    assert metrics["Days sober"] == f"{days:,}"
    assert metrics["Check-in streak"] == "5 days"
    assert metrics["Next milestone"]  # e.g. "18 months", with its date underneath
    assert any(c.value.startswith("On ") for c in at.caption)
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    summaries = [m.value for m in at.markdown]
    assert any("with 1 hard day and no reported use" in s for s in summaries)
    assert any(s.startswith("You checked in on 5 of the 30 days") for s in summaries)

    # The calendar's big squares carry their mood's number; a year's small ones cannot.
    assert any("marked with its number" in c.value for c in at.caption)
    field(at, "segmented_control", "Range").set_value(90).run()
    no_exception(at)
    assert any("of the 90 days" in m.value for m in at.markdown)
    field(at, "segmented_control", "Range").set_value(365).run()
    no_exception(at)
    assert not any("marked with its number" in c.value for c in at.caption)
    assert any("\"Day by day\" above gives each day's mood in words" in c.value
               for c in at.caption)


def test_my_progress_for_a_newcomer_has_no_empty_charts_to_puzzle_over(new_app, app_db):
    with app_db.begin() as session:
        newcomer = make_user(session, "newbie", "member", sobriety_date=today_for_zone("UTC"))
    at = no_exception(new_app(newcomer).switch_page("../pages/my_progress.py").run())
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Days sober"], metrics["Check-in streak"], metrics["Next milestone"]) == (
        "0", "0 days", "24 hours")
    assert any("no check-ins" in m.value.lower() for m in at.markdown)


def test_steps_are_started_before_they_are_completed(new_app, app_db, maria):
    at = no_exception(new_app(maria).switch_page("../pages/steps.py").run())
    assert "step 1" in at.info[0].value
    assert at.expander[0].label.endswith("current step**")

    at.segmented_control(key=f"typed:{maria.id}:status_1").set_value("completed")
    at.button[0].click().run()
    assert any("Start this step first" in e.value for e in at.error)

    at.segmented_control(key=f"typed:{maria.id}:status_1").set_value("in_progress")
    at.text_area(key=f"typed:{maria.id}:notes_1").set_value("Wrote out how it took over")
    at.button[0].click().run()
    at.segmented_control(key=f"typed:{maria.id}:status_1").set_value("completed")
    at.button[0].click().run()
    no_exception(at)
    assert any("Step 1 completed today." in s.value for s in at.success)
    assert "step 2" in at.info[0].value
    with app_db() as session:
        step = session.get(StepProgress, (maria.id, 1))
        assert (step.status, step.started_on, step.completed_on, step.notes) == (
            "completed", today_for(maria), today_for(maria), "Wrote out how it took over")


def test_my_data_downloads_and_deletes_the_account(new_app, app_db, maria):
    with app_db.begin() as session:
        add_checkin(session, maria, today_for(maria), journal="my words")
        make_user(session, "ada", "admin")
    at = no_exception(new_app(maria).switch_page("../pages/my_data.py").run())
    next(b for b in at.button if b.label == "Prepare my download").click().run()
    no_exception(at)
    assert [d.label for d in at.get("download_button")] == ["Download JSON",
                                                            "Download CSV files (zip)"]
    assert at.success[0].value.startswith("Your data is ready: 1 check-in, 12 steps,")

    field(at, "text_input", 'Type "delete my account" to confirm').set_value("delete my account")
    field(at, "text_input", "Password").set_value("not the password")
    next(b for b in at.button if b.label == "Delete my account permanently").click().run()
    assert [e.value for e in at.error] == ["That is not your current password."]
    with app_db() as session:
        assert session.get(User, maria.id) is not None

    field(at, "text_input", "Password").set_value(PASSWORD)
    next(b for b in at.button if b.label == "Delete my account permanently").click().run()
    no_exception(at)
    assert titles(at) == ["Log in"]
    assert "account and your records are deleted" in at.info[0].value
    with app_db() as session:
        assert session.get(User, maria.id) is None
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 0
