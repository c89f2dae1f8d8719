"""Links that carry a signed token in their path: whoever holds the URL may act on it.

An unsubscribe token encodes the address it unsubscribes, and any such URL works for whoever
reads it, so these paths never reach a log line in full: the access log and the error log
show the route with the token replaced.
"""

from __future__ import annotations

import logging
import re

# Every route whose path carries a `<token>` starts with one of these (a test checks it).
CAPABILITY_PREFIXES = ("/api/unsubscribe/", "/api/class-enrollments/withdraw/")

_TOKEN_IN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in CAPABILITY_PREFIXES) + r")[^\s?#\"]+")
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s#\"]+")
REDACTED = "<redacted>"


def redact(text: str) -> str:
    """`text` with every capability token (in a path or a `token=` parameter) replaced."""
    text = _TOKEN_IN_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN_IN_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingAccessLog:
    """What eventlet's WSGI server writes its access lines to, with tokens redacted."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger

    def info(self, msg: str, *args, **kwargs) -> None:
        self.logger.info(redact(msg % args if args else msg), **kwargs)

    def error(self, msg: str, *args, **kwargs) -> None:
        self.logger.error(redact(msg % args if args else msg), **kwargs)

    def debug(self, msg: str, *args, **kwargs) -> None:
        self.logger.debug(redact(msg % args if args else msg), **kwargs)

    def write(self, msg: str) -> None:
        self.logger.info(redact(msg.rstrip("\n")))
