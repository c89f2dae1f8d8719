"""Links that carry a signed token in their path: whoever holds the URL may act on it.

An unsubscribe token encodes the address it unsubscribes, and any such URL works for whoever
reads it, so these paths never reach a log line in full: the access log and the error log
show the route with the token replaced.
"""

from __future__ import annotations

import logging
import re

from servicekit.errors import BadSignature
from servicekit.links import MAX_TOKEN_LENGTH

# Every route whose path carries a `<token>` starts with one of these (a test checks it).
CAPABILITY_PREFIXES = ("/api/unsubscribe/", "/api/class-enrollments/withdraw/", "/api/receipts/")

_TOKEN_IN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in CAPABILITY_PREFIXES) + r")[^\s?#\"]+")
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s#\"]+")
REDACTED = "<redacted>"

# Link tokens are itsdangerous URL-safe: base64url parts joined by dots (a leading dot when
# compressed). Only the service that signed one can check it, but the gateway checks the shape
# first: junk is refused without an RPC, and a page that echoes the token (a form's action)
# never holds anything else; a token of dots alone would be a path segment, not a name.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*")


def link_token(token: str, invalid: str) -> str:
    """`token` if it has the shape of a signed link's; BadSignature(`invalid`) (a 400, as the
    service would answer) otherwise."""
    if len(token) > MAX_TOKEN_LENGTH or not TOKEN_SHAPE.fullmatch(token):
        raise BadSignature(invalid)
    return token


def redact(text: str) -> str:
    """`text` with every capability token (in a path or a `token=` parameter) replaced."""
    text = _TOKEN_IN_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN_IN_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


def token_parameter(link: str) -> dict:
    """The OpenAPI path parameter of a signed link's token; `link` says which link."""
    # The length limit is told, not declared: a generated over-long token would be refused by
    # the HTTP server (414) before the gateway could answer its documented 400.
    return {"in": "path", "name": "token", "required": True,
            "description": f"The signed token of {link}: URL-safe base64 parts joined by dots, "
                           f"at most {MAX_TOKEN_LENGTH} characters.",
            "schema": {"type": "string", "pattern": f"^{TOKEN_SHAPE.pattern}$"}}


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
