"""The staff console: a static web app under `/staff/` that uses the staff API like any
client (see `staff-web/` at the repository's root). Its folder is `STAFF_CONSOLE_DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway import site
from gateway.web import DocumentQuery, http

# gateway/gateway/routes/console.py -> the repository's root
DEFAULT_FOLDER = Path(__file__).resolve().parents[3] / "staff-web"


class ConsoleRoutes:
    """Needs `config` on the service."""

    def _console_folder(self) -> Path:
        return Path(self.config.get("STAFF_CONSOLE_DIR") or DEFAULT_FOLDER)

    @http("GET", "/staff", query=DocumentQuery)
    def console_root(self, request: Request) -> Response:
        return redirect("/staff/", code=308)

    @http("GET", "/staff/", query=DocumentQuery)
    def console_index(self, request: Request) -> Response:
        return site.console_file(request, self._console_folder(), "index.html")

    @http("GET", "/staff/<path:asset>", query=DocumentQuery)
    def console_asset(self, request: Request, asset: str) -> Response:
        return site.console_file(request, self._console_folder(), asset)


COMPONENTS: dict[str, Any] = {}

_PAGE = {"description": "The console's file.",
         "content": {"text/html": {"schema": {"type": "string"}}}}
_MISSING = {"description": "No such file.", "content": {"application/problem+json": {
    "schema": "Problem"}}}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/staff", "get"): {
        "operationId": "staffConsoleRoot", "tags": ["console"],
        "summary": "Redirects to /staff/",
        "responses": {"308": {"description": "To /staff/."}},
    },
    ("/staff/", "get"): {
        "operationId": "staffConsole", "tags": ["console"],
        "summary": "The staff console (a static web app over the staff API)",
        "description": "Static files any web server can serve instead. Carries a strict "
                       "Content-Security-Policy (scripts and styles from this origin only).",
        "responses": {"200": _PAGE, "404": _MISSING},
    },
    ("/staff/{asset}", "get"): {
        "operationId": "staffConsoleAsset", "tags": ["console"],
        "summary": "A file of the staff console (script, style, message catalogue)",
        "parameters": [{"in": "path", "name": "asset", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": _PAGE, "304": {"description": "Not modified (ETag)."},
                      "404": _MISSING},
    },
}
