"""Serving the public site (`web/`) and the staff console (`staff-web/`): static files with the
headers they need.

The site is plain files (HTML, CSS, JavaScript) that call the documented API on their own
origin; the gateway serves them at `/` for local runs, and any web server can serve the same
files in production (docs/operations.md lists the headers to set there). Every page gets a
strict Content-Security-Policy: scripts and styles from this origin only (no inline script or
style), plus Stripe.js and what it talks to; no page can be framed, and no page sends a
referrer (the self-service and offer links carry signed tokens in their query).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "web"
DEFAULT_STRIPE_JS = "https://js.stripe.com/v3/"
ASSET_MAX_AGE = 3600
# Stripe.js talks to its API and shows 3-D Secure in frames from these (Stripe's CSP guide).
STRIPE_CONNECT = ("https://api.stripe.com", "https://m.stripe.network", "https://q.stripe.com")
STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")

HEADERS_NOTE = ("Served with a strict Content-Security-Policy (scripts and styles from this "
                "origin and Stripe.js only), X-Frame-Options: DENY and Referrer-Policy: "
                "no-referrer; pages opened by a signed link are Cache-Control: no-store.")

TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html",
         ".svg": "image/svg+xml", ".woff2": "font/woff2", ".json": "application/json",
         ".ico": "image/x-icon", ".png": "image/png", ".txt": "text/plain"}


def root(config: dict[str, Any]) -> Path:
    configured = str(config.get("SITE_ROOT") or "")
    return Path(configured) if configured else DEFAULT_ROOT


def stripe_js_url(config: dict[str, Any]) -> str:
    return str(config.get("STRIPE_JS_URL") or DEFAULT_STRIPE_JS)


def content_security_policy(config: dict[str, Any]) -> str:
    """The site's CSP: this origin, Stripe.js's origin, and Stripe's own hosts when it is
    Stripe's Stripe.js (localstripe's stand-in talks to its own origin only)."""
    js = stripe_js_url(config)
    parts = urlsplit(js)
    js_origin = f"{parts.scheme}://{parts.netloc}"
    connect = [js_origin]
    frames = [js_origin]
    if parts.netloc.endswith("stripe.com"):
        connect += STRIPE_CONNECT
        frames += STRIPE_FRAMES
    return "; ".join([
        "default-src 'none'",
        f"script-src 'self' {js_origin}",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' {' '.join(dict.fromkeys(connect))}",
        f"frame-src {' '.join(dict.fromkeys(frames))}",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ])


# The staff console loads nothing from elsewhere: no Stripe.js, no frames.
CONSOLE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                  "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def security_headers(config: dict[str, Any], policy: str | None = None) -> dict[str, str]:
    """The headers every page and file of ours carries; the site's CSP unless `policy`."""
    return {
        "Content-Security-Policy": policy or content_security_policy(config),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(self)",
    }


def page(request: Request, config: dict[str, Any], name: str, *,
         holds_token: bool = False) -> Response:
    """An HTML page of the site. Pages opened by a signed link are never stored anywhere."""
    response = _file(request, root(config) / name, max_age=0)
    response.headers["Cache-Control"] = "no-store" if holds_token else "no-cache"
    if holds_token:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers.update(security_headers(config))
    response.vary.add("Accept-Language")
    return response


def asset(request: Request, config: dict[str, Any], relative: str) -> Response:
    """A file under `assets/`: cached for an hour, revalidated by its ETag after that."""
    path = safe_join(str(root(config) / "assets"), relative)
    if path is None or not Path(path).is_file():
        raise NotFound("No such file.")
    response = _file(request, Path(path), max_age=ASSET_MAX_AGE)
    response.headers.update(security_headers(config))
    return response


def console_file(request: Request, folder: Path, name: str) -> Response:
    """A file of the staff console under `folder` (never outside it, never a dot file), to be
    revalidated on each use: it changes with each release."""
    path = safe_join(str(folder), name)
    if path is None or name.startswith(".") or "/." in name or not Path(path).is_file():
        raise NotFound("No such file.")
    response = _file(request, Path(path), max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers.update(security_headers({}, CONSOLE_POLICY))
    return response


def _file(request: Request, path: Path, max_age: int) -> Response:
    mimetype = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] \
        or "application/octet-stream"
    # werkzeug adds "; charset=utf-8" to text types itself.
    return send_file(path, request.environ, mimetype=mimetype, max_age=max_age,
                     conditional=True, etag=True)
