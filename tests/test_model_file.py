"""The model YAML file: strict validation with readable messages, and a lossless round-trip."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DOCS, ROOT
from workbench.errors import UserError
from workbench.model import ScoringModel
from workbench.model_file import dump_model_yaml, load_model_file, load_model_text

GOOD = """\
format: lead-scoring-model/1
name: Test
tiers:
  - {name: cold, min_score: 0}
  - {name: warm, min_score: 50}
  - {name: hot, min_score: 80}
criteria:
  - id: demo
    column: Demo
    kind: flag
    points: 80
  - id: opens
    column: Opens
    kind: ranges
    bands:
      - {from: 5, points: 25}
"""


def test_documented_examples_load():
    """The whole-file example of docs/model-format.md (and of the shared starting contract,
    where that folder is present) is a valid model."""
    docs = (DOCS / "model-format.md").read_text(encoding="utf-8")
    model = load_model_text(docs.split("```yaml")[1].split("```")[0])
    assert model.tiers[-1].name == "hot" and model.criteria[0].id == "demo_request"
    contract = ROOT.parent / "shared" / "model-format.md"
    if contract.is_file():
        example = contract.read_text(encoding="utf-8").split("```yaml")[1].split("```")[0]
        kinds = [c.kind for c in load_model_text(example).criteria]
        assert kinds == ["flag", "ranges", "categories", "email_domain"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("points: 80", "pointz: 80"),
            "unknown key 'pointz' in criteria #1 (demo) (line 11) (did you mean 'points'?)",
        ),
        (("points: 80", "pointz: 80"), "allowed keys here: id, label, group, column"),
        (("kind: flag", "kind: flags"), "has kind 'flags'; use one of flag, ranges"),
        (
            ("points: 80", "points: lots"),
            "criteria #1 (demo) → points (line 11): expected a number",
        ),
        (("min_score: 50", "min_score: 90"), "tiers must ascend: hot (80) comes after warm (90)"),
        (
            ("format: lead-scoring-model/1", "format: lead-scoring-model/9"),
            "format 'lead-scoring-model/9'",
        ),
        (("format: lead-scoring-model/1\n", ""), "has no 'format' line"),
        (("id: opens", "id: demo"), "two criteria have the id 'demo'"),
        (("id: opens", "id: Opens Count"), "try 'opens_count'"),
        (
            ("{name: hot, min_score: 80}", "{name: warm, min_score: 80}"),
            "two tiers are called 'warm'",
        ),
        (
            ("{name: hot, min_score: 80}", "{name: hot, min_score: 180}"),
            "above the scale's max (100)",
        ),
        (("    column: Demo\n", ""), "criteria #1 (demo) → column is missing"),
        (
            ("name: Test", "name: Test\nscale: {min: 10, max: 5}"),
            "scale's max (5) must be above its min (10)",
        ),
        (("name: Test", "name: [unclosed"), "could not be read as YAML on line 3"),
        (
            ("{from: 5, points: 25}", "{from: 5, to: 2, points: 25}"),
            "'to' (2) must be above its 'from' (5)",
        ),
    ],
)
def test_readable_errors(change: tuple[str, str], message: str):
    text = GOOD.replace(*change, 1)
    assert text != GOOD
    with pytest.raises(UserError) as info:
        load_model_text(text, source="model.yaml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_not_a_mapping():
    with pytest.raises(UserError, match="does not describe a model"):
        load_model_text("- just\n- a list\n")


def test_alias_bomb_refused():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
    bomb += "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    with pytest.raises(UserError, match="alias"):
        load_model_text(bomb)


def test_oversized_file_refused(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text(GOOD + "# padding\n" * 200_000, encoding="utf-8")
    with pytest.raises(UserError, match="MB"):
        load_model_file(big)


def test_not_utf8_refused():
    with pytest.raises(UserError, match="not UTF-8"):
        load_model_text(GOOD.replace("Test", "Caf\xe9").encode("latin-1"))


def test_bom_accepted():
    assert load_model_text(b"\xef\xbb\xbf" + GOOD.encode()).name == "Test"


def test_missing_file(tmp_path: Path):
    with pytest.raises(UserError, match="no model file"):
        load_model_file(tmp_path / "nope.yaml")


def test_round_trip_reference_model():
    model = load_model_file(DOCS / "reference-model.yaml")
    text = dump_model_yaml(model)
    assert load_model_text(text) == model
    assert "points: 80\n" in text  # integers stay integers for people
    assert "- {from: 5, points: 25}" in text


names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
)
ident = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
points = st.one_of(
    st.integers(-100, 100), st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 2))
)


@st.composite
def models(draw: st.DrawFn) -> ScoringModel:
    ids = draw(st.lists(ident, min_size=0, max_size=5, unique=True))
    crits = []
    for i in ids:
        kind = draw(st.sampled_from(["flag", "ranges", "categories", "email_domain"]))
        base = {
            "id": i,
            "column": draw(names),
            "kind": kind,
            "group": draw(st.sampled_from(["fit", "engagement"])),
        }
        if draw(st.booleans()):
            base["label"] = draw(names)
            base["note"] = draw(names)
        if kind == "flag":
            base["points"] = draw(points)
        elif kind == "ranges":
            edges = sorted(
                draw(st.lists(st.integers(0, 1000), min_size=2, max_size=4, unique=True))
            )
            base["bands"] = [
                {"from": a, "to": b, "points": draw(points)} for a, b in itertools.pairwise(edges)
            ]
            base["missing"] = draw(points)
        elif kind == "categories":
            values = draw(
                st.lists(
                    st.from_regex(r"[A-Za-z][a-z]{0,6}", fullmatch=True),
                    min_size=1,
                    max_size=4,
                    unique_by=str.lower,
                )
            )
            base["points"] = {v: draw(points) for v in values}
            base["other"] = draw(points)
        else:
            base["domains"] = draw(
                st.lists(
                    st.from_regex(r"[a-z]{1,6}\.(com|de|io)", fullmatch=True),
                    min_size=1,
                    max_size=3,
                )
            )
            base["points"] = draw(points)
        crits.append(base)
    thresholds = sorted(draw(st.lists(st.integers(1, 100), min_size=0, max_size=3, unique=True)))
    tiers = [{"name": "lowest", "min_score": 0}] + [
        {"name": f"t{t}", "min_score": t} for t in thresholds
    ]
    return ScoringModel.model_validate(
        {
            "name": draw(names),
            "tiers": tiers,
            "criteria": crits,
            "groups": {"fit": {"max_points": draw(st.integers(1, 100))}}
            if draw(st.booleans())
            else {},
        }
    )


@settings(max_examples=60, deadline=None)
@given(models())
def test_round_trip_is_lossless(model: ScoringModel):
    assert load_model_text(dump_model_yaml(model)) == model
