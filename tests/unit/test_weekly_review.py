"""The weekly review's pure parts: who comes first, and the triage line's words."""

from datetime import date, datetime, timezone

from dashboard.member_views import FlagView
from dashboard.weekly_review import SponseeWeek, need_order, triage_facts

MONDAY = date(2026, 11, 23)
ALL = frozenset({"checkins", "steps", "flags", "notes"})


def flag(severity: str, n: int = 1) -> FlagView:
    return FlagView(id=n, rule_id="hard_day", severity=severity, raised_on=MONDAY,
                    reason="Hard day", quoted_text=None, status="open", acknowledged_at=None,
                    outreach_method=None, resolved_at=None)


def card(name: str, member_id: int, categories=ALL, **values) -> SponseeWeek:
    shared = {"checkins_made": 7, "use_days": [], "silent": False} if "checkins" in categories \
        else {}
    if "flags" in categories:
        shared |= {"hard_days": [], "open_flags": []}
    if "steps" in categories:
        shared |= {"step_changes": [], "current_step": 4}
    return SponseeWeek(member_id=member_id, display_name=name, categories=frozenset(categories),
                       week_start=MONDAY, **(shared | values))


def ordered(*cards: SponseeWeek) -> list[str]:
    return [c.display_name for c in sorted(cards, key=need_order)]


def test_high_flags_come_first_then_hard_days_use_silence_other_flags_then_not_reviewed():
    reviewed = datetime(2026, 11, 30, 9, tzinfo=timezone.utc)
    cards = [
        card("Quiet reviewed", 1, reviewed_at=reviewed),
        card("Quiet", 2),
        card("Silent", 3, silent=True),
        card("Used", 4, use_days=[MONDAY]),
        card("Hard", 5, hard_days=[(MONDAY, None)]),
        card("Zoe, medium flag", 6, open_flags=[flag("medium")]),
        card("High flag", 7, open_flags=[flag("high"), flag("low", 2)], reviewed_at=reviewed),
    ]
    assert ordered(*cards) == ["High flag", "Hard", "Used", "Silent", "Zoe, medium flag", "Quiet",
                               "Quiet reviewed"]


def test_more_of_the_same_need_comes_first_and_names_break_ties():
    two_hard = card("Zed", 1, hard_days=[(MONDAY, None), (MONDAY, "rent")])
    one_hard = card("Amy", 2, hard_days=[(MONDAY, None)])
    assert ordered(one_hard, two_hard) == ["Zed", "Amy"]
    assert ordered(card("bea", 3), card("Al", 4)) == ["Al", "bea"]


def test_what_is_not_shared_counts_as_nothing_to_raise():
    steps_only = card("Steps only", 1, categories={"steps"})
    assert ordered(steps_only, card("Hard", 2, hard_days=[(MONDAY, None)])) == [
        "Hard", "Steps only"]


def test_the_triage_line_says_each_fact_in_words():
    facts = triage_facts(card("Ana", 1, checkins_made=5, days_in_week=7,
                              hard_days=[(MONDAY, "rent")], use_days=[],
                              open_flags=[flag("high"), flag("low", 2)], current_step=3))
    assert facts == ["Not reviewed", "5 of 7 check-ins", "no use", "1 hard day",
                     "2 flags for you", "step 3"]
    facts = triage_facts(card("Ana", 1, use_days=[MONDAY, MONDAY], reviewed_at=datetime(
        2026, 11, 30, tzinfo=timezone.utc)))
    assert facts == ["Reviewed", "7 of 7 check-ins", "2 days with use", "no hard day",
                     "no flag for you", "step 4"]


def test_a_category_not_shared_reads_not_shared_once_never_zero():
    assert triage_facts(card("Ben", 2, categories={"steps"}, current_step=12)) == [
        "Not reviewed", "Check-ins not shared", "Hard days and flags not shared", "step 12"]
    assert triage_facts(card("Cy", 3, categories={"checkins"}))[-2:] == [
        "Hard days and flags not shared", "Steps not shared"]
