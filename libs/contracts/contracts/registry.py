"""The registry mapping (source, type, version) to the schema of an event's data."""

from __future__ import annotations

import functools

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from contracts import donations, matching, notifications, programs

# Every event a service may publish; a type not listed here cannot be written to an outbox.
_SCHEMAS: dict[tuple[str, str, int], type[Schema]] = {
    (module.__name__.rsplit(".", 1)[-1], name, version): schema
    for module in (donations, matching, notifications, programs)
    for (name, version), schema in module.SCHEMAS.items()
}


class ContractError(ValueError):
    """An event does not match its contract; `messages` holds marshmallow's field errors."""

    def __init__(self, message: str, messages: dict | None = None):
        super().__init__(message)
        self.messages = messages or {}


class UnknownEventType(ContractError):
    pass


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    source = fields.String(required=True, validate=validate.Length(min=1, max=100))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=None)
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(required=True)


def register(source: str, event_type: str, version: int, schema: type[Schema]) -> None:
    """Add a contract at run time (used by tests that publish events of their own)."""
    _SCHEMAS[(source, event_type, version)] = schema


def known_events() -> list[tuple[str, str, int]]:
    return sorted(_SCHEMAS)


def schema_for(source: str, event_type: str, version: int) -> Schema:
    return _contract(source, event_type, version)()


def _contract(source: str, event_type: str, version: int) -> type[Schema]:
    try:
        return _SCHEMAS[(source, event_type, version)]
    except KeyError:
        raise UnknownEventType(f"no contract for {source}.{event_type} v{version}") from None


@functools.cache
def _checker(contract: type[Schema], tolerant: bool) -> Schema:
    """One instance per contract and mode, kept: building a schema copies every declared field,
    which every event paid for twice (its producer and each consumer). Loading and dumping
    leave an instance as it was, so sharing one is safe; a contract registered again at run
    time is a new class and gets its own."""
    schema = contract()
    if tolerant:
        _tolerate_unknown(schema)
    return schema


def validate_data(source: str, event_type: str, version: int, data: dict, *,
                  tolerant: bool = False) -> dict:
    """Check an event's data against its contract and return it in its JSON form.

    Producers are strict: a field the contract does not name is refused. Consumers are
    tolerant (`tolerant=True`): a producer may add an optional field to a version before
    every consumer has been redeployed, and an old consumer must not park those events.
    """
    schema = _checker(_contract(source, event_type, version), tolerant)
    return schema.dump(_load(schema, source, event_type, version, data, tolerant))


def _load(schema: Schema, source: str, event_type: str, version: int, data: dict,
          tolerant: bool) -> dict:
    try:
        return schema.load(data, unknown=EXCLUDE if tolerant else RAISE)
    except ValidationError as exc:
        raise ContractError(
            f"{source}.{event_type} v{version} does not match its contract", exc.messages
        ) from None


def _tolerate_unknown(schema: Schema) -> None:
    """Let `schema` and every object nested in it (people, classes, ...) drop unknown fields:
    `load(unknown=...)` governs the top level only. `schema` is an instance of its own, whose
    fields are its own copies, so the contracts themselves (and the strict instance) stay
    strict."""
    for field in schema.fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            inner.unknown = EXCLUDE
            _tolerate_unknown(inner.schema)


def validate_envelope(envelope: dict) -> dict:
    """Check a received envelope and its data, tolerating fields added since this consumer
    was built; returns the envelope unchanged when valid."""
    try:
        _ENVELOPE.load(envelope, unknown=EXCLUDE)
    except ValidationError as exc:
        raise ContractError("malformed event envelope", exc.messages) from None
    # Checked only: the consumer keeps the envelope as received, so no JSON form is made.
    source, event_type, version = envelope["source"], envelope["type"], envelope["version"]
    _load(_checker(_contract(source, event_type, version), True), source, event_type, version,
          envelope["data"], True)
    return envelope


# Shared like the contracts' checkers (see `_checker`): loading leaves it as it was.
_ENVELOPE = EnvelopeSchema()
