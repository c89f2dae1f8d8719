"""Events published by the matching service."""

from marshmallow import Schema

SCHEMAS: dict[tuple[str, int], type[Schema]] = {}
