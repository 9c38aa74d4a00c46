"""Config models for running Steward as a service: when each source is scanned, and how live folders are watched.

A schedule is a cron expression (5 fields, as crontab; or 6 with seconds first) or a fixed interval in seconds
(for tests and demonstrations). ``trigger_for`` turns one into an APScheduler trigger.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PositiveFloat, PositiveInt, field_validator, model_validator

from scanner.config import Strict

CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_dow(field: str) -> str:
    """Crontab counts days of the week from Sunday = 0 (or 7); APScheduler from Monday = 0. Use names."""
    return re.sub(r"\d+", lambda m: CRON_DAYS[int(m.group()) % 7], field)


@cache
def cron_fields(expression: str) -> dict[str, str]:
    """Split a 5-field (minute hour day month weekday) or 6-field (second first) cron expression."""
    parts = expression.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise ValueError("has 5 fields (minute hour day month weekday) or 6 (seconds first)")
    names = ("second", "minute", "hour", "day", "month", "day_of_week")
    fields = dict(zip(names, parts, strict=True))
    fields["day_of_week"] = _cron_dow(fields["day_of_week"])
    return fields


def _check_cron(expression: str | None) -> str | None:
    if expression is None:
        return None
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger(**cron_fields(expression))
    except ValueError as exc:
        raise ValueError(f"not a valid cron expression ({exc})") from None
    return expression


class SourceSchedule(Strict):
    """Overrides for one source; a key left out takes the value from the `schedule` section."""

    cron: str | None = Field(default=None, description="Cron expression for this source.")
    interval_seconds: PositiveInt | None = Field(
        default=None, description="Scan every N seconds instead of by cron (tests, demonstrations)."
    )
    time_budget: PositiveFloat | None = Field(
        default=None, description="Seconds a run may take; then it stops at a checkpoint and resumes next run."
    )
    enabled: bool = Field(default=True, description="False: never scanned by the service (manual scans only).")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return _check_cron(value)


class ScheduleConfig(Strict):
    """When `steward schedule` scans each source."""

    cron: str = Field(default="0 2 * * *", description="Default cron expression (nightly at 02:00).")
    interval_seconds: PositiveInt | None = Field(
        default=None, description="Scan every N seconds instead of by cron (tests, demonstrations)."
    )
    timezone: str = Field(default="Europe/London", description="Time zone the cron expressions are read in.")
    misfire_grace: PositiveInt = Field(
        default=3600, description="Seconds late a missed run may still start (e.g. after the service was down)."
    )
    time_budget: PositiveFloat | None = Field(
        default=None, description="Seconds a run may take; then it stops at a checkpoint and resumes next run."
    )
    sources: dict[str, SourceSchedule] = Field(default_factory=dict, description="Per-source overrides, by id.")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        _check_cron(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/London, UTC)") from None
        return value

    def for_source(self, source_id: str) -> SourceSchedule:
        """The effective schedule of one source (its overrides on top of the defaults)."""
        own = self.sources.get(source_id, SourceSchedule())
        if own.cron is not None or own.interval_seconds is not None:
            cron, interval = own.cron, own.interval_seconds
        else:
            cron, interval = self.cron, self.interval_seconds
        budget = own.time_budget if own.time_budget is not None else self.time_budget
        return SourceSchedule(
            cron=None if interval else cron, interval_seconds=interval, time_budget=budget, enabled=own.enabled
        )

    def trigger_for(self, source_id: str) -> Any:
        """The APScheduler trigger of one source."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        own = self.for_source(source_id)
        zone = ZoneInfo(self.timezone)
        if own.interval_seconds:
            return IntervalTrigger(seconds=own.interval_seconds, timezone=zone)
        return CronTrigger(**cron_fields(own.cron or self.cron), timezone=zone)


class WatchConfig(Strict):
    """How `steward watch` follows live folders (local sources with `live: true`)."""

    settle_seconds: PositiveFloat = Field(
        default=5.0, description="A file is read once its size and time have not changed for this long."
    )
    poll_seconds: PositiveFloat = Field(default=0.5, description="How often settling files are checked.")
    catch_up: bool = Field(
        default=True, description="Scan live sources when the watcher starts, for files dropped while it was down."
    )

    @model_validator(mode="after")
    def _poll_below_settle(self) -> WatchConfig:
        if self.poll_seconds > self.settle_seconds:
            raise ValueError("poll_seconds must not exceed settle_seconds")
        return self
