"""Check-in validation: every field at its edges, one kind message per field."""

from datetime import date, timedelta

import pytest

from dashboard.checkins import CheckInForm, validate_checkin

TODAY = date(2026, 11, 26)


def form(**values) -> CheckInForm:
    fields = {"local_date": TODAY, "mood": 3, "craving": 2, "used_substances": False,
              "meetings": 1} | values
    return CheckInForm(**fields)


def test_a_plain_check_in_is_valid():
    assert validate_checkin(form(), today=TODAY) == {}


def test_a_full_check_in_is_valid():
    full = form(actions=("prayer_meditation", "called_support", "read_literature", "step_work"),
                sleep_hours=7.5, gratitude="My sister", journal="Long day.", hard_day=True,
                hard_day_reason="Argument at work")
    assert validate_checkin(full, today=TODAY) == {}


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("mood", 0, False), ("mood", 1, True), ("mood", 5, True), ("mood", 6, False),
        ("mood", None, False), ("mood", 2.5, False), ("mood", True, False),
        ("craving", -1, False), ("craving", 0, True), ("craving", 10, True),
        ("craving", 11, False), ("craving", None, False),
        ("meetings", -1, False), ("meetings", 0, True), ("meetings", 10, True),
        ("meetings", 11, False),
        ("sleep_hours", None, True), ("sleep_hours", 0, True), ("sleep_hours", 0.0, True),
        ("sleep_hours", 24, True), ("sleep_hours", 24.0, True), ("sleep_hours", 24.5, False),
        ("sleep_hours", -0.5, False), ("sleep_hours", float("nan"), False),
        ("used_substances", None, False), ("hard_day", None, False),
        ("actions", ("step_work",), True), ("actions", ("dancing",), False),
    ],
)
def test_numbers_and_choices_at_their_edges(field, value, valid):
    errors = validate_checkin(form(**{field: value}), today=TODAY)
    if valid:
        assert errors == {}
    else:
        assert list(errors) == [field]
        assert errors[field].endswith(".")


@pytest.mark.parametrize(("field", "limit"),
                         [("gratitude", 1_000), ("journal", 5_000), ("hard_day_reason", 500)])
def test_notes_at_and_over_their_limits(field, limit):
    at_limit = form(hard_day=True, **{field: "x" * limit})
    over = form(hard_day=True, **{field: "x" * (limit + 1)})
    assert validate_checkin(at_limit, today=TODAY) == {}
    errors = validate_checkin(over, today=TODAY)
    assert list(errors) == [field]
    assert f"{limit:,} characters" in errors[field]


def test_blank_space_around_a_note_does_not_count_towards_its_limit():
    padded = form(journal="   " + "x" * 5_000 + "\n\n")
    assert validate_checkin(padded, today=TODAY) == {}


@pytest.mark.parametrize(
    ("days_back", "valid"),
    [(-1, False), (0, True), (1, True), (7, True), (8, False), (400, False)],
)
def test_dates_from_today_back_seven_days(days_back, valid):
    errors = validate_checkin(form(local_date=TODAY - timedelta(days=days_back)), today=TODAY)
    assert (errors == {}) is valid
    if not valid:
        assert list(errors) == ["local_date"]


def test_future_and_too_old_dates_are_explained():
    future = validate_checkin(form(local_date=TODAY + timedelta(days=1)), today=TODAY)
    assert "not a day to come" in future["local_date"]
    old = validate_checkin(form(local_date=TODAY - timedelta(days=8)), today=TODAY)
    assert "19 November" in old["local_date"]  # the earliest day that can still be filled in


def test_a_reason_without_a_hard_day_is_not_dropped_silently():
    errors = validate_checkin(form(hard_day=False, hard_day_reason="Ex texted me"), today=TODAY)
    assert list(errors) == ["hard_day_reason"]
    assert validate_checkin(form(hard_day=False, hard_day_reason="   "), today=TODAY) == {}


def test_every_bad_field_is_reported_at_once():
    errors = validate_checkin(
        form(mood=0, craving=11, sleep_hours=24.5, journal="x" * 5_001,
             local_date=TODAY + timedelta(days=1)),
        today=TODAY,
    )
    assert set(errors) == {"mood", "craving", "sleep_hours", "journal", "local_date"}


def test_each_message_names_what_it_is_about_in_words():
    # Read out of context (a screen reader's list of errors), each says its field.
    errors = validate_checkin(form(used_substances=None, hard_day="maybe", actions=["x"]),
                              today=TODAY)
    assert errors["used_substances"].startswith("Used substances today:")
    assert errors["hard_day"].startswith("Hard day:")
    assert "actions done" in errors["actions"]
