"""Static files from a folder, answered with the headers a page of ours needs.

Used for the staff console (`gateway.routes.console`); any web server can serve the same
folder instead, with the same headers.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

# No inline script or style, nothing from elsewhere, no framing, forms post here only.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                           "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".json": "application/json",
         ".svg": "image/svg+xml", ".woff2": "font/woff2"}


def page_headers(response: Response) -> Response:
    response.headers.update({
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        # Small files that change with each release: revalidate rather than keep stale copies.
        "Cache-Control": "no-cache",
    })
    return response


def serve(request: Request, folder: Path, name: str) -> Response:
    """`name` inside `folder`, or 404; never a file outside it, never a directory listing."""
    path = safe_join(str(folder), name)
    if path is None or name.startswith(".") or "/." in name or not Path(path).is_file():
        raise NotFound()
    suffix = Path(path).suffix
    mimetype = TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = Response(Path(path).read_bytes(), headers={"Content-Type": mimetype})
    response.add_etag()
    return page_headers(response.make_conditional(request))
