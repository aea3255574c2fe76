"""EventBridge rate() and cron() expressions, as the local scheduler reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.scheduler import Cron, Rate, ScheduleExpressionError, parse_expression

START = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)  # a Tuesday


def upcoming(expression: str, count: int = 3, start: datetime = START) -> list[str]:
    parsed = parse_expression(expression)
    moments, moment = [], start
    for _ in range(count):
        moment = parsed.next_after(moment)
        moments.append(moment.strftime("%Y-%m-%d %a %H:%M"))
    return moments


@pytest.mark.parametrize(
    ("expression", "interval"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(15 minutes)", timedelta(minutes=15)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(12 hours)", timedelta(hours=12)),
        ("rate(1 day)", timedelta(days=1)),
        ("rate(7 days)", timedelta(days=7)),
    ],
)
def test_rate_expressions(expression, interval):
    assert parse_expression(expression) == Rate(interval)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(2 weeks)",
        "rate(five minutes)",
        "rate(5minutes)",
    ],
)
def test_invalid_rate_expressions_are_rejected(expression):
    with pytest.raises(ScheduleExpressionError, match="rate"):
        parse_expression(expression)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 10 * * ? *)", ["2030-01-01 Tue 10:00", "2030-01-02 Wed 10:00", "2030-01-03 Thu 10:00"]),
        ("cron(0/20 * * * ? *)", ["2030-01-01 Tue 00:20", "2030-01-01 Tue 00:40", "2030-01-01 Tue 01:00"]),
        (
            "cron(0 18 ? * MON-FRI *)",
            ["2030-01-01 Tue 18:00", "2030-01-02 Wed 18:00", "2030-01-03 Thu 18:00"],
        ),
        # AWS numbers weekdays from Sunday = 1: 2-6 is Monday to Friday, 1 is Sunday.
        ("cron(0 9 ? * 1 *)", ["2030-01-06 Sun 09:00", "2030-01-13 Sun 09:00", "2030-01-20 Sun 09:00"]),
        ("cron(0 9 ? * 2#1 *)", ["2030-01-07 Mon 09:00", "2030-02-04 Mon 09:00", "2030-03-04 Mon 09:00"]),
        ("cron(15 10 ? * 6L 2030)", ["2030-01-25 Fri 10:15", "2030-02-22 Fri 10:15", "2030-03-29 Fri 10:15"]),
        ("cron(0 12 L * ? *)", ["2030-01-31 Thu 12:00", "2030-02-28 Thu 12:00", "2030-03-31 Sun 12:00"]),
        ("cron(0 8 15W * ? *)", ["2030-01-15 Tue 08:00", "2030-02-15 Fri 08:00", "2030-03-15 Fri 08:00"]),
        (
            "cron(0 0 1 JAN,JUL ? 2031-2032)",
            ["2031-01-01 Wed 00:00", "2031-07-01 Tue 00:00", "2032-01-01 Thu 00:00"],
        ),
    ],
)
def test_cron_expressions_follow_aws_semantics_in_utc(expression, expected):
    assert upcoming(expression) == expected


def test_last_day_of_week_is_saturday():
    assert upcoming("cron(0 0 ? * L *)", 1) == ["2030-01-05 Sat 00:00"]


def test_a_cron_parses_to_croniter_syntax():
    assert parse_expression("cron(0 9 ? * 2-6 *)") == Cron("0 9 * * 1-5 0 *")


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("cron(0 10 * * *)", "6 fields"),
        ("cron(0 10 * * ? * *)", "6 fields"),
        ("cron(0 10 * * 1 *)", "exactly one"),
        ("cron(0 10 ? * ? *)", "exactly one"),
        ("cron(0 10 ? * 8 *)", "day of week"),
        ("cron(0 10 ? * 0 *)", "day of week"),
        ("cron(0 25 * * ? *)", "not supported locally"),
        ("cron(61 10 * * ? *)", "not supported locally"),
        ("cron(0 10 LW * ? *)", "not supported locally"),
        ("cron(0 10 * * ? H)", "invalid field"),
        ("cron(@daily)", "6 fields"),
        ("every 5 minutes", "expected rate"),
    ],
)
def test_invalid_cron_expressions_are_rejected_with_a_reason(expression, reason):
    with pytest.raises(ScheduleExpressionError, match=reason):
        parse_expression(expression)
