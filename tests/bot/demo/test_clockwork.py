"""The playground's clock control: where "Monday 08:30 in Elena's zone" lands, and the scheduler's cadence."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from bot.demo.clockwork import _next_step, next_weekday_at


def test_next_monday_0830_is_in_the_readers_zone_and_always_ahead() -> None:
    wednesday = datetime(2026, 12, 2, 19, 10, tzinfo=UTC)
    monday = next_weekday_at(wednesday, 0, time(8, 30), "Europe/Madrid")
    assert monday == datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # 08:30 in Madrid (CET, UTC+1)
    assert next_weekday_at(monday, 0, time(8, 30), "Europe/Madrid") == datetime(2026, 12, 14, 7, 30, tzinfo=UTC)
    summer = next_weekday_at(datetime(2026, 6, 30, tzinfo=UTC), 0, time(8, 30), "Europe/Madrid")
    assert summer.astimezone(ZoneInfo("Europe/Madrid")).strftime("%a %H:%M") == "Mon 08:30"
    assert summer == datetime(2026, 7, 6, 6, 30, tzinfo=UTC)  # CEST, UTC+2


def test_ticks_land_on_the_next_five_minutes() -> None:
    assert _next_step(datetime(2026, 12, 2, 9, 27, 13, tzinfo=UTC)) == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    assert _next_step(datetime(2026, 12, 2, 9, 30, tzinfo=UTC)) == datetime(2026, 12, 2, 9, 35, tzinfo=UTC)
    assert _next_step(datetime(2026, 12, 2, 23, 58, tzinfo=UTC)) == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
