"""dashboard/web/drafts.py: values typed before a failed run or a restart, read back as the
field takes them, or not at all."""

from dashboard.web.drafts import _as_field_value

MOODS = {"1 Very low": 1, "4 Good": 4}
ACTIONS = {"Went to a meeting": "meeting", "Called my sponsor": "called_support"}


def test_choices_sent_as_labels_come_back_as_values():
    assert _as_field_value(["4 Good"], None, MOODS) == 4
    assert _as_field_value(["Called my sponsor", "Went to a meeting"], [], ACTIONS) == [
        "called_support", "meeting"]
    assert _as_field_value([], [], ACTIONS) == []


def test_values_kept_within_the_process_stay_as_they_are():
    assert _as_field_value(4, None, MOODS) == 4
    assert _as_field_value(["meeting"], [], ACTIONS) == ["meeting"]
    assert _as_field_value("Yes", "No", None) == "Yes"


def test_numbers_take_the_kind_of_their_field():
    assert _as_field_value([7.0], 0, None) == 7 and isinstance(_as_field_value([7.0], 0, None), int)
    assert _as_field_value(2.0, 0, None) == 2
    assert _as_field_value(6.5, None, None) == 6.5


def test_what_cannot_be_read_back_for_sure_is_not_guessed():
    assert _as_field_value(["No such mood"], None, MOODS) is None
    assert _as_field_value(3, "No", None) == "No"
    assert _as_field_value(["2026/12/01"], None, None) is None
