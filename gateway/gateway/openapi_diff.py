"""The OpenAPI document kept as text (`docs/openapi.json`) and how the served one differs.

A test holds the two equal, so any change to the API — intended or not — shows in review as a
diff of that file, listed here change by change (JSON pointer, before, after). `make openapi`
writes the served document to the file once the change is intended.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gateway.openapi import document_for
from gateway.service import GatewayService

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
SHOWN = 150


def served() -> dict[str, Any]:
    """The document as the gateway serves it, through JSON (as a client reads it)."""
    return json.loads(json.dumps(document_for(GatewayService)))


def committed(path: Path = COMMITTED) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def as_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def changes(before: Any, after: Any, pointer: str = "") -> list[str]:
    """Each difference as `+ pointer value`, `- pointer value` or `~ pointer old -> new`."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(before.keys() | after.keys()):
            at = f"{pointer}/{_escaped(key)}"
            if key not in before:
                found.append(f"+ {at} {_short(after[key])}")
            elif key not in after:
                found.append(f"- {at} {_short(before[key])}")
            else:
                found.extend(changes(before[key], after[key], at))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [change for index, (old, new) in enumerate(zip(before, after, strict=True))
                for change in changes(old, new, f"{pointer}/{index}")]
    if before != after:
        return [f"~ {pointer} {_short(before)} -> {_short(after)}"]
    return []


def _escaped(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")  # RFC 6901


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="write the served document to docs/openapi.json")
    parser.add_argument("--against", type=Path, default=COMMITTED,
                        help="a document to compare with (default docs/openapi.json)")
    args = parser.parse_args(argv)
    document = served()
    if args.write:
        COMMITTED.write_text(as_text(document), encoding="utf-8")
        return 0
    found = changes(committed(args.against), document)
    print("\n".join(found) or "no change")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
