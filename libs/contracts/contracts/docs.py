"""Render docs/events.md from the contracts: `python -m contracts.docs > docs/events.md`.

A test compares the file with this rendering, so the reference cannot drift from the code.
"""

from __future__ import annotations

from marshmallow import fields

from contracts.registry import EnvelopeSchema, known_events, schema_for


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
    source = None
    for event_source, event_type, version in known_events():
        if event_source != source:
            source = event_source
            lines += ["", f"## {source}"]
        lines += ["", f"### `{event_type}` v{version}", "",
                  "| field | type | required |", "|---|---|---|",
                  *_rows(schema_for(event_source, event_type, version))]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
