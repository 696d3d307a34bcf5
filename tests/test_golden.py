"""The synthesized addresses equal the reviewed golden lists (see tests/golden.py for how to update): exactly for the
defaults, and for the effective configuration (cdktf.json's context) up to the addresses configuration decides."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ALL_STACKS, CONFIGURATIONS, Build
from tests.golden import addresses, conditional, read_golden


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_addresses_match_golden_list(parsed: dict[str, dict[str, Any]], stack: str) -> None:
    assert addresses(parsed[stack]) == read_golden(stack), (
        f"{stack}: Terraform addresses changed. A changed address destroys and recreates the resource. "
        "If that is intended, run `pipenv run update-golden` and commit tests/golden/."
    )


@pytest.mark.parametrize("stack", ALL_STACKS if "effective" in CONFIGURATIONS else [])
def test_effective_addresses_differ_only_where_configuration_decides(effective_build: Build, stack: str) -> None:
    golden, actual = set(read_golden(stack)), set(addresses(effective_build.parsed[stack]))
    unexplained = sorted(("+ " if address in actual else "- ") + address for address in golden ^ actual if not conditional(address))
    assert not unexplained, f"{stack}: addresses the configuration does not explain (see CONDITIONAL in tests/golden.py):\n" + "\n".join(
        unexplained
    )


def test_conditional_patterns_cover_nothing_the_defaults_always_have() -> None:
    """A pattern that matched an address every configuration has would hide its rename."""
    always = {"aws_db_instance.database_instance", "aws_ecs_service.service_service", "aws_lb.load_balancer_alb",
              "aws_kms_key.logs_key_key", "aws_s3_bucket.state_bucket", "aws_lb_listener.load_balancer_http"}  # fmt: skip
    assert not [address for address in always if conditional(address)]
    assert always <= {address for stack in ALL_STACKS for address in read_golden(stack)}
