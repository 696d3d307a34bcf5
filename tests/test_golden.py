"""The synthesized addresses equal the reviewed golden lists (see tests/golden.py for how to update)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ALL_STACKS
from tests.golden import addresses, read_golden


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_addresses_match_golden_list(parsed: dict[str, dict[str, Any]], stack: str) -> None:
    assert addresses(parsed[stack]) == read_golden(stack), (
        f"{stack}: Terraform addresses changed. A changed address destroys and recreates the resource. "
        "If that is intended, run `pipenv run update-golden` and commit tests/golden/."
    )
