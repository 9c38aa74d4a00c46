"""The peak resident memory of the running process, for the benchmarks that print it."""

from __future__ import annotations


def peak_rss_mb() -> float:
    """This process's own peak RSS in MB (``VmHWM``). ``ru_maxrss`` is not used: Linux keeps it across ``exec``, so
    a benchmark started from a large process (a test runner) would report that process's peak."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:"))
