"""The envelope every event travels in (DESIGN §4.1)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts import validate_data, validate_envelope


def exchange_for(source: str) -> str:
    """Nameko's convention, so `@event_handler(source, type)` binds to the same exchange."""
    return f"{source}.events"


@dataclass(frozen=True)
class Envelope:
    type: str
    source: str
    data: dict[str, Any]
    correlation_id: str
    version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @classmethod
    def new(
        cls, source: str, event_type: str, data: dict[str, Any], correlation_id: str | None = None,
        version: int = 1,
    ) -> Envelope:
        """Build an event whose data is checked against its contract first."""
        checked = validate_data(source, event_type, version, data)
        event_id = str(uuid.uuid4())
        return cls(
            type=event_type, source=source, data=checked, version=version, id=event_id,
            correlation_id=correlation_id or event_id,
        )

    @classmethod
    def from_message(cls, body: dict[str, Any]) -> Envelope:
        """Rebuild a received event, refusing one that breaks the envelope or its contract."""
        if not isinstance(body, dict):
            from contracts import ContractError

            raise ContractError("event body is not an object")
        validate_envelope(body)
        return cls(
            id=body["id"], type=body["type"], version=body["version"], source=body["source"],
            occurred_at=body["occurred_at"], correlation_id=body["correlation_id"],
            data=body["data"],
        )

    @property
    def exchange(self) -> str:
        return exchange_for(self.source)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
