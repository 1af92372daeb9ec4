"""docs/events.md is generated from the contracts (scripts/gen_event_catalogue.py) and must not
fall behind them: a new event type or field fails here until the file is regenerated."""

import importlib.util
from pathlib import Path
from types import ModuleType

from authmesh_kit.events.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_event_catalogue.py"
    spec = importlib.util.spec_from_file_location("gen_event_catalogue", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_event_catalogue_in_the_docs_is_current() -> None:
    expected = generator().render()
    current = (ROOT / "docs" / "events.md").read_text()
    assert current == expected, "docs/events.md is stale: run scripts/gen_event_catalogue.py"


def test_the_catalogue_names_every_event_type_and_payload_field() -> None:
    text = generator().render()
    for event in CATALOGUE.values():
        assert f"### `{event.type}`" in text
        for field in event.payload.DESCRIPTOR.fields:
            assert f"| `{field.name}` |" in text
