"""Public lists the site fetches on every page (the program catalogue, the classes, the donation
tiers, the impact figures): answered with an `ETag` and `Cache-Control`, and `304 Not Modified`
to a request whose `If-None-Match` already holds the current tag.

One implementation for every such route. The tag is a hash of the exact body, so it is a strong
validator and needs no bookkeeping in the services: whatever changes the answer changes the
tag. Comparison follows RFC 9110 §13.1.2: If-None-Match uses the weak comparison (a `W/` tag
matches the same opaque tag), takes a list of tags, and `*` matches any current answer. The
service is still asked each time; what is saved is the body on the wire and the client's work,
and for `max-age` seconds the request itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from werkzeug.wrappers import Request, Response

# Long enough that a visitor's page views within a minute ask nothing; short enough that a
# class filling up or a new figure shows within a minute.
PUBLIC_MAX_AGE_SECONDS = 60
# The headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5).
KEPT_ON_304 = ("ETag", "Cache-Control", "Vary", "Content-Location", "Expires")


def public_json(request: Request, body: Any,
                max_age: int = PUBLIC_MAX_AGE_SECONDS) -> Response:
    """`body` as JSON that any cache may keep for `max_age` seconds (0: revalidate on each
    use), or 304 when the client's `If-None-Match` names its tag."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    tag = hashlib.sha256(payload).hexdigest()[:32]
    response = Response(payload, mimetype="application/json")
    response.set_etag(tag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-cache"
    if request.method in ("GET", "HEAD") and request.if_none_match.contains_weak(tag):
        return not_modified(response)
    return response


def not_modified(response: Response) -> Response:
    """The 304 standing for `response`: no body, the validators and caching headers kept."""
    answer = Response(status=304)
    del answer.headers["Content-Type"]
    for name in KEPT_ON_304:
        if name in response.headers:
            answer.headers[name] = response.headers[name]
    return answer
