from datetime import date, timedelta

from dashboard.progress import checkin_streak, sobriety_days


def test_sobriety_days_counts_whole_days():
    assert sobriety_days(date(2026, 1, 1), date(2026, 1, 1)) == 0
    assert sobriety_days(date(2026, 1, 1), date(2026, 1, 31)) == 30
    assert sobriety_days(date(2027, 1, 1), date(2026, 1, 31)) == 0


def test_streak_counts_back_from_today_or_yesterday():
    today = date(2026, 11, 26)
    days = [today - timedelta(days=n) for n in (0, 1, 2, 4)]
    assert checkin_streak(days, today) == 3
    assert checkin_streak(days[1:], today) == 2  # today not yet done: the streak is still alive
    assert checkin_streak([today - timedelta(days=2)], today) == 0
    assert checkin_streak([], today) == 0
