from pathlib import Path

from contracts.docs import render

EVENTS_MD = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_docs_events_md_is_the_rendering_of_the_current_contracts():
    # Regenerate with: .venv/bin/python -m contracts.docs > docs/events.md
    assert EVENTS_MD.read_text() == render()
