"""Crawlers, one per source kind. Adding one: a new module and one line here."""

from __future__ import annotations

from typing import Any

from scanner.crawlers.base import Crawler
from scanner.registry import load

CRAWLERS: dict[str, str] = {
    "local": "scanner.crawlers.local:LocalCrawler",
    "smb": "scanner.crawlers.smb:SmbCrawler",
    "database": "scanner.crawlers.database:DatabaseCrawler",
}


def crawler_for(source: Any, hash_key: bytes | None = None) -> Crawler:
    """Build the crawler for a validated source config; ``hash_key`` keys the digests it derives from data."""
    cls = load(CRAWLERS[source.kind])
    crawler = cls(source)
    crawler.hash_key = hash_key
    return crawler  # type: ignore[no-any-return]
