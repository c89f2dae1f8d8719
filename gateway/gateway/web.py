"""Nameko's `@http` entrypoint, adapted so that every response is the gateway's own.

Stock nameko answers unmatched URLs with werkzeug's HTML pages and worker errors with
`text/plain` "Error: <type>: <message>" bodies that leak internals. `GatewayWebServer` replaces
the WSGI app through nameko's `get_wsgi_app` hook, which sees every request before routing, so
it can:

* settle the request id (`X-Request-ID`) first and put it on every response, 404s included;
* answer routing failures (404, 405) and oversize bodies (413) as problem+json;
* hand the request id to workers as `correlation_id` context data (nameko's
  `context_data_from_headers` hook), which `RpcProxy` forwards in the headers of every RPC.

Doing it in the context data rather than in a dependency's `worker_setup` means it is present
when the worker context is created, before any dependency (the log context included) runs, since
nameko does not order `worker_setup` calls.

Routes must use `http` from this module; a stock `nameko.web.handlers.http` in the same service
would start a second web server on the same address.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import structlog
from eventlet import wsgi
from eventlet.event import Event
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from gateway import edge, errors, pages
from gateway.capabilities import RedactingAccessLog
from gateway.schemas import REQUEST_ID_PATTERN

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON_KEY = "jii.request_id"
BODY_LIMIT_ENVIRON_KEY = "jii.body_limit"
DEFAULT_MAX_BODY_BYTES = 65536
READ_SIZE = 65536
# No body the API takes nests deeper than a few levels; a limit far above that and far below
# the interpreter's recursion limit keeps a 2 kB `[[[[...]]]]` from reaching recursive code.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"The body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."


def request_id_from(environ: dict[str, Any]) -> str:
    """The caller's request id if it is safe to log and forward, else a fresh uuid4.

    An id that breaks the rule is replaced, not trimmed: a mangled id would look like a match
    to someone searching the logs for the original.
    """
    offered = environ.get("HTTP_X_REQUEST_ID", "")
    if REQUEST_ID_PATTERN.fullmatch(offered):
        return offered
    return str(uuid.uuid4())


def request_id_of(request: Request) -> str:
    return request.environ[REQUEST_ID_ENVIRON_KEY]


def body_limit(config: dict[str, Any], key: str = "MAX_BODY_BYTES") -> int:
    return int(config.get(key, config.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)))


class GatewayWsgiApp(WsgiApp):
    def __init__(self, server: GatewayWebServer) -> None:  # not nameko's: its map is per app
        self.server = server
        self.providers, self.url_map = server.routes()

    def __call__(self, environ, start_response):
        request_id = environ[REQUEST_ID_ENVIRON_KEY] = request_id_from(environ)
        # Lines logged on this green thread (eventlet's access log comes after the app returns)
        # carry the id too; workers bind their own copy through servicekit's LogContext.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(service="gateway", correlation_id=request_id)
        request = Request(environ, shallow=True)
        config = self.server.container.config
        origins = edge.allowed_origins(config)
        try:
            early = edge.preflight(request, origins)
            if early is not None:
                response = early
                raise _Answered
            index, values = self.url_map.bind_to_environ(environ).match()
            provider = self.providers[index]
            if edge.is_limited(request):
                self.server.limiter.take(edge.client_of(
                    request, str(config.get("TRUST_FORWARDED_FOR", "")).lower() == "true"))
            limit = environ[BODY_LIMIT_ENVIRON_KEY] = body_limit(
                self.server.container.config, provider.body_limit_key)
            # Refuse a declared oversize body before a worker is spent on it; a chunked one is
            # stopped by `read_body` once it passes the limit.
            if (request.content_length or 0) > limit:
                raise RequestEntityTooLarge(f"The body may be at most {limit} bytes.")
            request.path_values = values
            response = provider.handle_request(request)
        except _Answered:
            pass
        except Exception as exc:  # routing errors (404, 405), 429 and anything unexpected
            response = errors.response_for(exc, request_id, request.path)
        edge.add_cors_headers(request, response, origins)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response(environ, start_response)


class _Answered(Exception):
    """The request was answered before routing (a CORS preflight)."""


class GatewayWebServer(WebServer):
    def setup(self) -> None:
        super().setup()
        self.limiter = edge.limiter_from(self.container.config)

    def get_wsgi_server(self, sock, wsgi_app, protocol=HttpOnlyProtocol, debug=False):
        # nameko's server, with an access log that never holds a link's token
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                           log=RedactingAccessLog(logging.getLogger("nameko.web.server")))

    def get_wsgi_app(self) -> GatewayWsgiApp:
        return GatewayWsgiApp(self)

    def routes(self) -> tuple[list[GatewayHttpHandler], Map]:
        """The `@http` entrypoints in a fixed order, and a map matching a request to its
        entrypoint's index in that list."""
        providers = sorted(self._providers, key=lambda provider: (provider.url, provider.method))
        return providers, url_map_for(providers)

    def context_data_from_headers(self, request: Request) -> dict[str, Any]:
        return {"correlation_id": request_id_of(request)}


# Compiled maps by route table: (url, methods) of each entrypoint, in order.
_URL_MAPS: dict[tuple[tuple[str, str], ...], Map] = {}


def url_map_for(providers: list[GatewayHttpHandler]) -> Map:
    """The werkzeug map of these entrypoints' rules, each rule's endpoint its index in the list.

    werkzeug parses every rule and grows its state machine as a map is made: for the gateway's
    hundred-odd routes, 4 ms of CPU in a quiet process and 16 ms in a busy test process, at
    every gateway start (hundreds in a test run).
    The map holds nothing of a running gateway (its endpoints are indexes), so every gateway in
    the process with the same route table shares one. werkzeug maps are safe to match from
    many threads at once.
    """
    table = tuple((provider.url, provider.method) for provider in providers)
    url_map = _URL_MAPS.get(table)
    if url_map is None:
        rules = [provider.get_url_rule() for provider in providers]
        for index, rule in enumerate(rules):
            rule.endpoint = index
        url_map = _URL_MAPS[table] = Map(rules)
    return url_map


class MatchingRule(Rule):
    """A URL rule whose URL builders are compiled only if a URL is ever built from it.

    werkzeug compiles two builder functions for every rule as the map binds it; nameko only
    matches requests against the map. For the gateway's hundred-odd routes that was most of the
    CPU a gateway took to make its map (about 40 ms).
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(Rule._compile_builder(rule, append_unknown))
            return compiled[0](rule, **values)

        return build


class GatewayHttpHandler(HttpRequestHandler):
    """`@http(method, url)` answering errors as problem+json.

    `body_limit` names the config key holding the route's body size limit (default
    `MAX_BODY_BYTES`), for routes such as webhooks whose bodies are legitimately larger.
    """

    server = GatewayWebServer()

    def __init__(self, method: str, url: str, body_limit: str = "MAX_BODY_BYTES", **kwargs):
        super().__init__(method, url, **kwargs)
        self.body_limit_key = body_limit

    def get_url_rule(self) -> Rule:
        return MatchingRule(self.url, methods=self.method.split(","))

    def handle_request(self, request: Request) -> Response:
        # nameko's version, except that a failure is mapped with the request at hand (its id
        # and path go into the problem document).
        request.shallow = False
        try:
            context_data = self.server.context_data_from_headers(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(
                self, args, kwargs, context_data=context_data,
                handle_result=partial(self.handle_result, event))
            result = event.wait()
            return self.response_from_result(result)
        except Exception as exc:
            # Only unexpected exceptions get here (see `http`), already logged with their
            # traceback by nameko's worker.
            return errors.response_for(exc, request_id_of(request), request.path,
                                       traceback_logged=True)


class NoQuery(Schema):
    """A route that takes no query parameter refuses any, as routes refuse unknown ones."""


class LinkQuery(Schema):
    """A link opened in a browser: `lang` chooses the page's language (see `pages`)."""

    lang = fields.String(validate=validate.Length(max=35))


class DocumentQuery(Schema):
    """A static document of the site or the console: its query string is read by the page's
    own script (`lang`, a link's `token`, what a payment provider appends on its way back, a
    newsletter's tracking tags), so the server takes any parameters and uses none."""


def http(method: str, url: str, page: Callable[[errors.Problem, str], Response] | None = None,
         query: type[Schema] | None = None, roles: tuple[str, ...] | None = None,
         **kwargs: Any) -> Callable[[Callable], Callable]:
    """Declare a route: `@http("POST", "/api/pledges")`.

    `query` is the schema of the route's query parameters; their loaded values reach the route
    as its `query` argument. One rule for every route: a parameter the route does not know is
    refused (400, invalid-query, naming it), never ignored, since an ignored misspelt filter
    silently answers something else than was asked. Static documents, which answer the same
    whatever is asked, declare `query=DocumentQuery`.

    Expected failures (invalid input, a declined card, a service that is down...) are turned
    into their problem response inside the worker: to nameko the request was handled, so it
    does not log a client's mistake as a service error with a traceback. Anything else
    propagates, is logged by nameko, and becomes a 500 in `GatewayHttpHandler`.

    `page(problem, language)` answers those failures instead when the client is a browser
    (a link in an e-mail opened by a person), logged all the same.

    `roles`: a staff route, refused (401, 403) before anything of the request is read, so a
    caller without the role learns nothing about the parameters. Needs `staff` auth on the
    service.
    """

    allowed = query or (LinkQuery if page is not None else NoQuery)

    query_schema = allowed()  # made once per route, not per request

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def entrypoint(self, request: Request, *args: Any, **path_values: Any) -> Any:
            try:
                if roles is not None:
                    self.staff.require(request, *roles)
                loaded = {} if allowed is DocumentQuery else read_query(request, query_schema)
                if query is not None and allowed is not DocumentQuery:
                    path_values["query"] = loaded
                return fn(self, request, *args, **path_values)
            except Exception as exc:
                if errors.problem_for(exc) is None:
                    raise
                request_id = request_id_of(request)
                problem = errors.logged_problem(exc, request_id, request.path)
                if page is not None and pages.prefers_html(request):
                    return page(problem, pages.language_of(request))
                return errors.problem_response(problem, request_id, request.path)

        return GatewayHttpHandler.decorator(method, url, **kwargs)(entrypoint)

    return decorate


def read_query(request: Request, schema: Schema) -> dict[str, Any]:
    """The query string loaded through `schema`: unknown and repeated parameters are refused,
    and every failure is an `InvalidQuery` naming the parameters."""
    args = request.args
    messages: dict[str, Any] = {name: ["Given more than once."]
                                for name, values in args.lists() if len(values) > 1}
    try:
        loaded = schema.load(args.to_dict(), unknown=RAISE)
    except ValidationError as exc:
        found = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        for name, problems in found.items():
            if problems == ["Unknown field."]:
                problems = ["Unknown query parameter."]
            messages.setdefault(name, problems)
    if messages:
        raise errors.InvalidQuery(messages)
    return loaded


def read_body(request: Request) -> bytes:
    """The whole body, refused with 413 past the route's limit, chunked or not.

    Read from the server's input directly: eventlet's stream ends at Content-Length or at the
    last chunk. werkzeug's `get_data` gives an empty body for chunked requests unless told the
    server terminates the stream, and then stops silently at `max_content_length` (in our tests
    it even returned the first chunk only), so an oversize body passed for malformed JSON.
    """
    limit = request.environ.get(BODY_LIMIT_ENVIRON_KEY, DEFAULT_MAX_BODY_BYTES)
    stream = request.environ["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(min(READ_SIZE, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge(f"The body may be at most {limit} bytes.")
    return b"".join(chunks)


def read_json(request: Request, schema: Schema) -> dict[str, Any]:
    """The request body, as JSON, loaded through `schema` (which raises ValidationError)."""
    return schema.load(_json_body(request))


def read_document(request: Request, schema: Schema) -> dict[str, Any]:
    """The request body as the client sent it, once `schema` accepts it: what a declared
    operation forwards, for the service to load through the same schema."""
    document = _json_body(request)
    schema.load(document)
    return document


def _json_body(request: Request) -> Any:
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType("The body must be JSON (Content-Type: application/json).")
    raw = read_body(request)
    try:
        # NaN and Infinity are not JSON, whatever Python's parser tolerates.
        document = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.MalformedBody(f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise errors.MalformedBody(TOO_DEEP) from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise errors.MalformedBody(TOO_DEEP)
    if (where := _nul_at(document)) is not None:
        # Valid JSON, but no text stored anywhere may hold U+0000 (PostgreSQL refuses it).
        raise ValidationError({where: ["The NUL character (U+0000) is not allowed."]})
    return document


def _depth(document: Any) -> int:
    """How deeply arrays and objects nest in a parsed document, without recursing."""
    deepest = 0
    stack = [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                return level
            stack.extend((item, level + 1) for item in value)
    return deepest


def _nul_at(value: Any, path: str = "_schema") -> str | None:
    """The top-level field holding a string (or key) with a NUL character, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = path if path != "_schema" else str(key).replace("\x00", "")
            if "\x00" in str(key):
                return where or "_schema"
            if (found := _nul_at(item, where)) is not None:
                return found
    if isinstance(value, list):
        for item in value:
            if (found := _nul_at(item, path)) is not None:
                return found
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def read_text(request: Request) -> str:
    """The body exactly as sent, as text: signatures are computed over these very bytes."""
    raw = read_body(request)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.MalformedBody("The body is not UTF-8 text.") from None


def require_header(request: Request, name: str) -> str:
    value = request.headers.get(name)
    if not value:
        raise errors.MissingHeader(name)
    return value


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


def problem(status: int, title: str, detail: str, request: Request,
            **extensions: Any) -> Response:
    """A problem response built by an entrypoint itself (e.g. readiness), not from an error."""
    document = errors.Problem(status, title, detail, extensions=extensions)
    return errors.problem_response(document, request_id_of(request), request.path)
