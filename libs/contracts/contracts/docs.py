"""Render docs/events.md from the contracts: `python -m contracts.docs > docs/events.md`.

A test compares the file with this rendering, so the reference cannot drift from the code.
"""

from __future__ import annotations

from marshmallow import fields

from contracts import donations, matching, notifications, programs
from contracts.registry import EnvelopeSchema

# The producing services' own contracts: not those tests register at run time.
PRODUCERS = {"donations": donations, "matching": matching, "notifications": notifications,
             "programs": programs}


def _type_name(field: fields.Field) -> str:
    if isinstance(field, fields.List):
        return f"list of {_type_name(field.inner)}"
    if isinstance(field, fields.Nested):
        return "object"
    return {
        fields.UUID: "uuid", fields.Email: "e-mail", fields.Url: "url",
        fields.AwareDateTime: "UTC timestamp", fields.DateTime: "timestamp",
        fields.Date: "date", fields.Integer: "integer", fields.Boolean: "boolean",
        fields.Float: "number", fields.Dict: "object", fields.String: "string",
    }.get(type(field), type(field).__name__.lower())


def _rows(schema) -> list[str]:
    rows = []
    for name, field in sorted(schema.fields.items()):
        required = "yes" if field.required else "no"
        rows.append(f"| `{name}` | {_type_name(field)} | {required} |")
    return rows


def render() -> str:
    lines = [
        "# Events",
        "",
        "Generated from `libs/contracts` by `python -m contracts.docs > docs/events.md`; do not",
        "edit by hand. Each event travels in the envelope below on the durable topic exchange",
        "`<source>.events` with the event type as routing key (DESIGN §4).",
        "",
        "## Envelope",
        "",
        "| field | type | required |",
        "|---|---|---|",
        *_rows(EnvelopeSchema()),
    ]
    for source, module in PRODUCERS.items():
        lines += ["", f"## {source}"]
        for (event_type, version), schema in sorted(module.SCHEMAS.items()):
            lines += ["", f"### `{event_type}` v{version}", "",
                      "| field | type | required |", "|---|---|---|", *_rows(schema())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
