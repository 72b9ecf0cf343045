"""Calendar helpers: the next weekday, the number of days in a month."""

import calendar


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def next_weekday(weekday: int, today: int) -> int:
    """Days until ``weekday`` (0 = Monday) counting from ``today``; 7 if it is today."""
    return (weekday - today) % 7 or 7
