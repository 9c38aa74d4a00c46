"""YAML text read with libyaml's parser where PyYAML was built with it, else with PyYAML's own.

The configuration and the rule files are read by every command, and four rule files by the loader before the
workers start. PyYAML's pure-Python parser took about 60 ms over the shipped rule files where libyaml's takes
about 4; both give the same documents, node marks (line numbers in problems) and safe constructors. Text that
libyaml refuses is read again by PyYAML's parser, whose problems name the offending character ("found character
'\\t' that cannot start any token" where libyaml says "found character that cannot start any token"): a bad
file is reported as before, and only a good one is read faster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """The one YAML document in ``text`` as plain values (as ``yaml.safe_load``)."""
    return _parsed(lambda loader: yaml.load(text, Loader=loader))


def compose(text: str) -> yaml.Node | None:
    """The node tree of the one document in ``text``, with marks (as ``yaml.compose`` with the safe loader)."""
    node: yaml.Node | None = _parsed(lambda loader: yaml.compose(text, Loader=loader))
    return node


def _parsed(parse: Callable[[Any], Any]) -> Any:
    """``parse`` with libyaml's loader; what that refuses, with PyYAML's own, whose problems are raised."""
    try:
        return parse(SAFE_LOADER)
    except yaml.YAMLError:
        if SAFE_LOADER is yaml.SafeLoader:
            raise
    return parse(yaml.SafeLoader)


def construct(node: yaml.Node) -> Any:
    """The plain value of ``node`` and everything under it, as the safe loader builds it."""
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
