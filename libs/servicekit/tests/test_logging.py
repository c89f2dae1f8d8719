import io
import json
import logging

import structlog
from servicekit.logging import json_handler, mask_personal_data


def test_personal_fields_and_email_addresses_anywhere_are_masked():
    masked = mask_personal_data(None, "info", {
        "event": "sent to hanako@example.com", "name": "山田 花子", "email": "a@b.example",
        "nested": {"to": "x@y.example", "count": 2}, "amount": 3000,
    })
    assert "hanako@example.com" not in masked["event"]
    assert masked["name"] == "***" and masked["email"] == "***"
    assert masked["nested"] == {"to": "***", "count": 2}
    assert masked["amount"] == 3000


def test_standard_library_lines_are_json_and_masked_too():
    stream = io.StringIO()
    logger = logging.getLogger("test.masking")
    logger.addHandler(json_handler(stream))
    logger.propagate = False
    try:
        structlog.contextvars.bind_contextvars(correlation_id="req-9")
        logger.warning("bounce from %s", "someone@example.org")
    finally:
        structlog.contextvars.clear_contextvars()
        logger.handlers.clear()
    line = json.loads(stream.getvalue())
    assert "someone@example.org" not in line["event"]
    assert line["correlation_id"] == "req-9" and line["level"] == "warning"
