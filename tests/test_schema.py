"""The published JSON Schema is current and describes the file's own key names."""

from __future__ import annotations

import json

from tests.conftest import DOCS
from workbench.schema import model_json_schema


def test_published_schema_is_current():
    published = json.loads((DOCS / "model.schema.json").read_text(encoding="utf-8"))
    assert published == model_json_schema(), (
        "run: python -m workbench.schema > docs/model.schema.json"
    )


def test_schema_uses_file_names_and_forbids_unknown_keys():
    schema = model_json_schema()
    assert set(schema["required"]) == {"format", "tiers"}
    assert "from" in schema["$defs"]["Band"]["properties"]
    assert all(
        d.get("additionalProperties") is False
        for d in schema["$defs"].values()
        if d.get("type") == "object"
    )
    kinds = {
        d["properties"]["kind"]["const"]
        for d in schema["$defs"].values()
        if "kind" in d.get("properties", {})
    }
    assert kinds == {
        "flag",
        "ranges",
        "categories",
        "email_domain",
        "activity_count",  # the activity log's kinds (docs/activity.md)
        "recency",
    }
