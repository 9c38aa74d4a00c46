"""Steward's exceptions.

StewardError
 ├── ConfigError      bad config or rule file: the command stops, exit code 2
 ├── SourceError      a source cannot be reached: the run is recorded as failed, other sources go on
 └── ItemError        one file cannot be read; carries the Status it is recorded with
      ├── Encrypted
      ├── TooLarge
      ├── Timeout
      ├── Corrupt
      └── Unsupported
"""

from __future__ import annotations

from scanner.types import Status


class StewardError(Exception):
    """Base of every error Steward raises on purpose."""


class ConfigError(StewardError):
    """A configuration or rule file is invalid. The message names the file, the key and the reason."""


class SourceError(StewardError):
    """A whole source is unreachable or unusable."""


class ItemError(StewardError):
    status: Status = Status.UNREADABLE


class Encrypted(ItemError):
    status = Status.ENCRYPTED


class TooLarge(ItemError):
    status = Status.TOO_LARGE


class Timeout(ItemError):
    status = Status.TIMEOUT


class Corrupt(ItemError):
    status = Status.CORRUPT


class Unsupported(ItemError):
    status = Status.UNSUPPORTED
