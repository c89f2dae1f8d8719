"""Request bodies for the programs tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
LINK_SECRET = "test-enrollment-link-secret-0123456789abcdef"
SITE_URL = "https://jii.test"


def class_request(capacity: int = 10, sessions: int = 3, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Hanamaru Class Shinjuku", "venue": "Shinjuku Community Centre",
        "schedule": "Saturdays 10:00-11:30", "level": "hiragana beginners",
        "capacity": capacity, "tutors": ["Suzuki Kei", "Ito Mai"],
        "sessions": [{"starts_at": f"2026-05-{9 + 7 * n:02d}T10:00:00+09:00"}
                     for n in range(sessions)],
    }
    body.update(overrides)
    return body


def child(n: int, **overrides: Any) -> dict[str, Any]:
    body = {
        "child_first_name": f"Child{n}", "child_last_name": "Gurung", "child_age": 8,
        "languages": ["ne", "ja"], "guardian_name": f"Guardian {n}",
        "guardian_email": f"guardian{n}@example.org", "guardian_locale": "ne",
        "participation_consent": True, "photo_consent": False,
    }
    body.update(overrides)
    return body


def consultation(**overrides: Any) -> dict[str, Any]:
    body = {"topic": "residence_visa", "language": "ne", "urgency": "high",
            "summary": "My visa expires next month.", "name": "Ram Thapa",
            "email": "ram@example.org", "locale": "ne"}
    body.update(overrides)
    return body


def expert(name: str, specialties: list[str], languages: list[str]) -> dict[str, Any]:
    return {"name": name, "email": f"{name.split()[0].lower()}@example.org", "locale": "ja",
            "profession": "administrative_scrivener", "specialties": specialties,
            "languages": languages}
