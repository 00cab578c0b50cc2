"""Guessing the ID, outcome and leakage columns from a profile."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from workbench.roles import guess_roles


@dataclass(frozen=True)
class Prof:
    name: str
    kind: str = "category"
    distinct: int = 3
    top_values: list[tuple[str, int]] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None


def test_sample_like_columns() -> None:
    profiles = [
        Prof("Lead ID", "id", 100),
        Prof("Email", "email", 99),
        Prof("Lead Status", "category", 4),
        Prof("Converted", "flag", 2, [("No", 80), ("Yes", 20)]),
    ]
    roles = guess_roles(profiles, rows=100)
    assert roles.id_column == "Lead ID"
    assert roles.outcome == "Converted"
    assert roles.positive_values == ["Yes"]
    assert roles.leakage == ["Lead Status"]


@pytest.mark.parametrize("name", ["Record ID", "Id", "Person - ID", "lead_id"])
def test_crm_id_columns(name: str) -> None:
    assert guess_roles([Prof("Name"), Prof(name, "id", 10)], rows=10).id_column == name


def test_an_id_must_be_unique() -> None:
    assert guess_roles([Prof("Record ID", "number", 5)], rows=10).id_column is None


def test_salesforce_is_converted_is_the_outcome_not_leakage() -> None:
    profiles = [Prof("IsConverted", "flag", 2, [("false", 9), ("true", 1)]), Prof("Status")]
    roles = guess_roles(profiles)
    assert roles.outcome == "IsConverted"
    assert roles.positive_values == ["true"]
    assert roles.leakage == ["Status"]


def test_a_column_with_many_values_is_no_outcome() -> None:
    roles = guess_roles(
        [Prof("Country"), Prof("Won", "number", distinct=500), Prof("Notes", "text")]
    )
    assert (roles.id_column, roles.outcome, roles.positive_values) == (None, None, [])
    assert roles.leakage == ["Won"]
