"""Structured JSON logs with the context an operator needs and none of a person's data.

Every line carries the service, the entrypoint, the correlation id (from `X-Request-ID` or the
event being handled) and the event id. E-mail addresses anywhere in a line, and the values of
keys that hold personal data, are masked before the line is written.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from nameko.extensions import DependencyProvider

PERSONAL_KEYS = frozenset({
    "email", "name", "to", "recipient", "payer", "guardian_name", "guardian_email", "phone",
    "address", "full_name", "to_addr", "to_name", "postal_address", "postal_code", "line1",
    "line2", "address_line1", "address_line2",
})
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
MASK = "***"
# A personal key's value quoted inside text: database errors quote the JSON they refused.
_KEYS = "|".join(sorted(PERSONAL_KEYS))
QUOTED_PERSONAL = re.compile(rf'("(?:{_KEYS})"\s*:\s*")(?:[^"\\]|\\.)*("?)')


def mask_text(text: str) -> str:
    if '"' in text:
        text = QUOTED_PERSONAL.sub(rf"\g<1>{MASK}\g<2>", text)
    return EMAIL.sub(MASK + "@***", text) if "@" in text else text


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: (MASK if k in PERSONAL_KEYS else _mask(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask(v) for v in value]
    return value


def mask_personal_data(_logger, _method, event_dict: dict) -> dict:
    """structlog processor: no personal data leaves the process in a log line."""
    return {k: (MASK if k in PERSONAL_KEYS else _mask(v)) for k, v in event_dict.items()}


SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
    mask_personal_data,
]


def json_handler(stream=None) -> logging.Handler:
    """A handler writing each record, from structlog or the standard library, as masked JSON."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    handler.jii_json = True
    return handler


def configure(service: str | None = None, level: str = "INFO") -> None:
    """JSON lines on stderr for structlog and the standard library alike."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    # Replace plain console handlers (nameko run's default), keep others such as pytest's.
    root.handlers[:] = [
        h for h in root.handlers
        if type(h) is not logging.StreamHandler and not getattr(h, "jii_json", False)
    ] + [json_handler()]
    root.setLevel(level)
    for noisy in ("kombu", "amqp", "psycopg.pool", "yoyo", "urllib3", "stripe"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    if service:
        structlog.contextvars.bind_contextvars(service=service)


class LogContext(DependencyProvider):
    """Binds service, entrypoint, correlation id and event id to every line a worker logs."""

    def setup(self) -> None:
        config = self.container.config
        if config.get("LOG_JSON", True):
            configure(level=str(config.get("LOG_LEVEL", "INFO")).upper())

    def worker_setup(self, worker_ctx) -> None:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            service=self.container.service_name,
            entrypoint=worker_ctx.entrypoint.method_name,
            correlation_id=worker_ctx.data.get("correlation_id") or worker_ctx.call_id,
            event_id=worker_ctx.data.get("event_id"),
        )

    def worker_teardown(self, worker_ctx) -> None:
        structlog.contextvars.clear_contextvars()

    def get_dependency(self, worker_ctx):
        return structlog.get_logger(self.container.service_name)
