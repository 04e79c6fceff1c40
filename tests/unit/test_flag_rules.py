"""Each flag rule at its boundaries, with the words of its reason."""

from datetime import date, timedelta

import pytest

from dashboard.flags import RULES, Day, FlagThresholds, no_checkin_finding, risk_level

T = FlagThresholds()
RULE = {rule.id: rule for rule in RULES}
TODAY = date(2026, 11, 26)  # a Thursday


def day(offset=0, *, mood=3, craving=2, used=False, hard=False, reason=None, id=1):
    return Day(id=id, local_date=TODAY - timedelta(days=offset), mood=mood, craving=craving,
               used_substances=used, hard_day=hard, hard_day_reason=reason)


def check(rule_id, history):
    return RULE[rule_id].check(history, T)


def test_craving_seven_is_quiet_eight_is_high():
    assert check("high_craving", [day(craving=7)]) is None
    finding = check("high_craving", [day(craving=8)])
    assert finding.reason == "Craving 8/10 on Thu 26 Nov 2026"
    assert RULE["high_craving"].severity == "high"


def test_reported_use_is_high_with_the_date():
    assert check("used_substances", [day(used=False)]) is None
    finding = check("used_substances", [day(used=True)])
    assert finding.reason == "Reported use on Thu 26 Nov 2026"
    assert finding.episode_key == "2026-11-26" and RULE["used_substances"].severity == "high"


def test_hard_day_keeps_the_members_words_apart_from_the_reason():
    finding = check("hard_day", [day(hard=True, reason="Argument with my brother")])
    assert finding.reason == "Marked Thu 26 Nov 2026 a hard day"
    assert finding.quoted_text == "Argument with my brother"
    assert RULE["hard_day"].severity == "medium"
    assert check("hard_day", [day(hard=False)]) is None


def moods(*values):
    return [day(len(values) - 1 - i, mood=m, id=i) for i, m in enumerate(values)]


def test_low_mood_two_of_five_is_quiet_three_of_five_flags():
    assert check("low_mood", moods(2, 2, 3, 4, 3)) is None
    finding = check("low_mood", moods(2, 3, 1, 4, 2))
    assert finding.reason == "Low mood on 3 of the last 5 check-ins"
    # Only the last five count: an old low mood falls out of the window.
    assert check("low_mood", moods(1, 2, 3, 4, 2, 3, 4)) is None
    assert check("low_mood", moods(3, 3, 3)) is None


def cravings(recent, usual):
    history = [day(34 - i, craving=usual[i % len(usual)], id=i) for i in range(28)]
    history += [day(6 - i, craving=recent[i % len(recent)], id=100 + i) for i in range(7)]
    return history


def test_craving_rising_at_three_points_not_at_two_point_nine():
    # Baseline 2.0 every day; a recent week averaging 4.9 is a rise of 2.9: quiet.
    assert check("craving_rising", cravings([5, 5, 5, 5, 5, 5, 4.3], [2])) is None
    finding = check("craving_rising", cravings([5], [2]))
    assert finding.reason == "Craving rising: 5.0 vs 2.0 usual"
    assert RULE["craving_rising"].severity == "low"


def test_craving_rising_needs_enough_days_to_know_what_is_usual():
    history = cravings([9], [1])
    assert check("craving_rising", history[-7:]) is None  # no baseline at all


@pytest.mark.parametrize(("silent", "reason"), [
    (2, None),
    (3, "No check-in since Mon 23 Nov 2026 (3 days)"),
    (4, "No check-in since Sun 22 Nov 2026 (4 days)"),
    (17, "No check-in since Mon 9 Nov 2026 (17 days)"),
])
def test_no_checkin_after_three_silent_days(silent, reason):
    finding = no_checkin_finding(TODAY - timedelta(days=silent), TODAY, T)
    assert (finding is not None) == (reason is not None)
    if reason:
        assert finding.reason == reason
        assert finding.episode_key == (TODAY - timedelta(days=silent)).isoformat()


def test_thresholds_come_from_configuration():
    from dashboard.config import parse_flag_thresholds

    custom = parse_flag_thresholds({"DASHBOARD_FLAG_HIGH_CRAVING": "9", "DASHBOARD_FLAG_SILENT_DAYS": "5"})
    assert (custom.high_craving, custom.silent_days) == (9, 5)
    assert RULE["high_craving"].check([day(craving=8)], custom) is None


def test_risk_is_the_highest_open_severity():
    assert risk_level([]) == "none"
    assert risk_level(["low", "medium"]) == "medium"
    assert risk_level(["low", "high", "medium"]) == "high"
