"""The JSON Schema of the model file, published as docs/model.schema.json.

Regenerate with ``python -m workbench.schema > docs/model.schema.json``; a test checks the
published file is current.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.model import ScoringModel


def model_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a model file, in the file's own key names."""
    schema = ScoringModel.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Lead Scoring Workbench model (lead-scoring-model/1)"
    # The class defaults 'format' for models built in code; a file must still say it.
    schema["required"] = sorted({*schema.get("required", []), "format"})
    return schema


def main() -> None:
    """Print the schema."""
    print(json.dumps(model_json_schema(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
