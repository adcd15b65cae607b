"""Rerun's time arguments as nanoseconds: numbers are seconds; timedelta,
datetime and numpy's timedelta64/datetime64 are taken at their own unit."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np


def duration_ns(value: Any) -> int:
    """A duration (seconds as a number, or a timedelta) in nanoseconds."""
    if isinstance(value, _dt.timedelta):
        return (value.days * 86_400 + value.seconds) * 1_000_000_000 + value.microseconds * 1_000
    if isinstance(value, np.timedelta64):
        return int(value.astype("timedelta64[ns]").astype(np.int64))
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return int(round(float(value) * 1e9))
    raise TypeError(f"duration= takes seconds (a number), a timedelta or a numpy.timedelta64, not {type(value).__name__}")


def timestamp_ns(value: Any) -> int:
    """A point in time (seconds since the Unix epoch, or a datetime) in nanoseconds."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        return duration_ns(delta)
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[ns]").astype(np.int64))
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return int(round(float(value) * 1e9))
    raise TypeError(f"timestamp= takes seconds since the epoch (a number), a datetime or a numpy.datetime64, not {type(value).__name__}")
