"""The README's configuration reference is the code's: every field documented, every value current."""

from __future__ import annotations

import dataclasses

from stacks import reference
from stacks.config import EnvironmentConfig


def test_every_field_has_a_meaning_and_rule() -> None:
    assert set(reference.MEANINGS) == {item.name for item in dataclasses.fields(EnvironmentConfig)}


def test_readme_reference_matches_the_code() -> None:
    assert reference.readme_block(reference.README.read_text()) == reference.table(), "run `pipenv run docs` and commit README.md"
