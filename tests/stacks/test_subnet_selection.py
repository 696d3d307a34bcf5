"""Which subnets a plan selects, evaluated by Terraform itself (tests/terraform_eval.py) on the synthesized
expressions of wallet-dev, with the data sources answering as the AWS provider reads these VPCs: explicit ids, else
the aws-cdk:subnet-type tags, else by route table, the rule release/preflight.py applies before the first plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from release import preflight
from tests.terraform_eval import evaluate
from tests.vpcs import ROUTE_TABLES, SUBNETS, provider_route_tables, subnet

STACK = "wallet-dev"
IMPLICIT = subnet("subnet-0000000e", "us-east-1c")  # no explicit association: uses the main table (no internet gateway)
DEFAULT_VPC_TABLES = [  # a default VPC: one main table with the internet gateway, every subnet implicitly on it
    {"RouteTableId": "rtb-main0001", "Associations": [{"Main": True}],
     "Routes": [{"DestinationCidrBlock": "172.31.0.0/16", "GatewayId": "local"}, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123abcd"}]},
]  # fmt: skip
A, B, C, D, E = (f"subnet-0000000{letter}" for letter in "abcde")

# name: subnets, route tables, what the tag lookups find (private, public), then the expected selection (private,
# public), the private subnets' route tables, and whether each precondition holds (private, public).
SCENARIOS: dict[str, tuple[Any, ...]] = {
    "built-without-aws-cdk": ([*SUBNETS, IMPLICIT], ROUTE_TABLES, ([], []), ([A, B, E], [C, D]), ["rtb-main0001", "rtb-privat01"], (True, True)),
    "aws-cdk-tags-win": ([*SUBNETS, IMPLICIT], ROUTE_TABLES, ([A, B], [C, D]), ([A, B], [C, D]), ["rtb-privat01"], (True, True)),
    "default-vpc": (SUBNETS, DEFAULT_VPC_TABLES, ([], []), ([], [A, B, C, D]), [], (False, True)),
}  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_subnets_by_tags_else_by_route_table(parsed: dict[str, dict[str, Any]], tmp_path: Path, scenario: str) -> None:
    subnets, tables, (tagged_private, tagged_public), (private, public), private_tables, (private_ok, public_ok) = SCENARIOS[scenario]
    stack = parsed[STACK]
    network = {name: value for name, value in stack["locals"].items() if name.startswith("network_")}
    final = stack["data"]["aws_subnets"]
    outputs = {
        "by_route_private": "${local.network_private_subnets_by_route_table}",
        "by_route_public": "${local.network_public_subnets_by_route_table}",
        "private_route_tables": "${local.network_private_route_tables}",
    }
    for kind in ("private", "public"):
        [in_vpc, by_id] = final[f"network_{kind}_subnets"]["filter"]
        assert (in_vpc["name"], by_id["name"]) == ("vpc-id", "subnet-id")
        [precondition] = final[f"network_{kind}_subnets"]["lifecycle"]["precondition"]
        outputs |= {kind: by_id["values"], f"{kind}_precondition": precondition["condition"]}
    fixtures = {
        "data.aws_subnets.network_vpc_subnets": {"ids": [s["SubnetId"] for s in subnets]},
        "data.aws_route_table.network_route_table": provider_route_tables(tables),
        "data.aws_subnets.network_private_subnets_tagged": {"ids": tagged_private},
        "data.aws_subnets.network_public_subnets_tagged": {"ids": tagged_public},
        # The reads by id return the subnets asked for.
        "data.aws_subnets.network_private_subnets": {"ids": outputs["private"]},
        "data.aws_subnets.network_public_subnets": {"ids": outputs["public"]},
    }
    values = evaluate(tmp_path, network, fixtures, outputs)
    assert (values["private"], values["public"]) == (private, public)
    assert values["private_route_tables"] == private_tables
    assert (values["private_precondition"], values["public_precondition"]) == (private_ok, public_ok)
    # The same rule as the preflight command's, subnet by subnet.
    kinds = preflight.classify(subnets, tables)
    assert values["by_route_private"] == sorted(s for s, kind in kinds.items() if kind == "private")
    assert values["by_route_public"] == sorted(s for s, kind in kinds.items() if kind == "public")
    chosen = [s for s in subnets if s["SubnetId"] in private]
    assert values["private_route_tables"] == sorted({t["RouteTableId"] for t in preflight.route_tables_of(chosen, tables).values()})


def test_a_short_selection_stops_the_plan_with_what_to_do(parsed: dict[str, dict[str, Any]]) -> None:
    messages = {
        kind: parsed[STACK]["data"]["aws_subnets"][f"network_{kind}_subnets"]["lifecycle"]["precondition"][0]["error_message"]
        for kind in ("private", "public")
    }
    assert messages == {
        "private": "Fewer than 2 private subnets were found in the VPC by the tags aws-cdk:subnet-type=Private or, when no "
        "subnet carries them, by route table (private: no route to an internet gateway); tag them or set private_subnet_ids "
        "in the configuration.",
        "public": "Fewer than 2 public subnets were found in the VPC by the tags aws-cdk:subnet-type=Public or, when no "
        "subnet carries them, by route table (public: a route to an internet gateway); tag them or set public_subnet_ids "
        "in the configuration.",
    }
