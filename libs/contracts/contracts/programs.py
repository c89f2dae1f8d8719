"""Events published by the programs service."""

from marshmallow import Schema

SCHEMAS: dict[tuple[str, int], type[Schema]] = {}
