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


def test_personal_values_quoted_in_an_error_message_are_masked():
    # How PostgreSQL quotes the JSON it refused, cut short where it stops quoting.
    error = ('unsupported Unicode escape sequence\nCONTEXT:  JSON data, line 1: '
             '..."participant_id": "f0", "name": "山田 \\"花子\\" nul\\u0000...')
    masked = mask_personal_data(None, "error", {"event": error})["event"]
    assert "山田" not in masked and "花子" not in masked and "nul" not in masked
    assert '"participant_id": "f0"' in masked and '"name": "***' in masked


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
