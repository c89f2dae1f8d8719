"""Event contracts: the marshmallow schema of every event type and version.

Producers validate before writing to the outbox; consumers validate on receipt.
"""

from contracts.registry import (
    ContractError,
    EnvelopeSchema,
    UnknownEventType,
    known_events,
    register,
    schema_for,
    validate_data,
    validate_envelope,
)

__all__ = [
    "ContractError",
    "EnvelopeSchema",
    "UnknownEventType",
    "known_events",
    "register",
    "schema_for",
    "validate_data",
    "validate_envelope",
]
