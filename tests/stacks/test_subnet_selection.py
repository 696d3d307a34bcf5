"""Which subnets a plan selects, evaluated by Terraform itself (tests/terraform_eval.py) on the synthesized
expressions of wallet-dev, with the data sources answering as the AWS provider reads these VPCs: explicit ids, else
the aws-cdk:subnet-type tags, else by route table, the rule release/preflight.py applies before the first plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from release import preflight
from stacks import config
from stacks.errors import ConfigError
from tests.terraform_eval import evaluate
from tests.vpcs import ROUTE_TABLES, SUBNETS, provider_route_tables, subnet

STACK = "wallet-dev"
IMPLICIT = subnet("subnet-0000000e", "us-east-1c")  # no explicit association: uses the main table (no internet gateway)
SECOND_IN_A = subnet("subnet-0000000f", "us-east-1a")  # a second private subnet in us-east-1a (on the main table)
DEFAULT_VPC_TABLES = [  # a default VPC: one main table with the internet gateway, every subnet implicitly on it
    {"RouteTableId": "rtb-main0001", "Associations": [{"Main": True}],
     "Routes": [{"DestinationCidrBlock": "172.31.0.0/16", "GatewayId": "local"}, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123abcd"}]},
]  # fmt: skip
ONE_ZONE = [subnet("subnet-0000000a", "us-east-1a"), subnet("subnet-0000000b", "us-east-1a"), *SUBNETS[2:]]
A, B, C, D, E, F = (f"subnet-0000000{letter}" for letter in "abcdef")


@dataclass(frozen=True)
class Scenario:
    subnets: list[dict[str, Any]]
    tables: list[dict[str, Any]]
    tagged: tuple[list[str], list[str]]  # what the tag lookups find: private, public
    selected: tuple[list[str], list[str]]  # the subnets a plan selects: private, public
    one_per_zone: tuple[list[str], list[str]]  # for the endpoints and the load balancer
    private_tables: list[str]  # the route tables of the selected private subnets
    preconditions: tuple[bool, bool]  # whether the plan goes on: private, public


SCENARIOS = {
    "built-without-aws-cdk": Scenario([*SUBNETS, IMPLICIT, SECOND_IN_A], ROUTE_TABLES, ([], []), ([A, B, E, F], [C, D]),
                                      ([A, B, E], [C, D]), ["rtb-main0001", "rtb-privat01"], (True, True)),
    "aws-cdk-tags-win": Scenario([*SUBNETS, IMPLICIT], ROUTE_TABLES, ([A, B], [C, D]), ([A, B], [C, D]), ([A, B], [C, D]),
                                 ["rtb-privat01"], (True, True)),
    "default-vpc": Scenario(SUBNETS, DEFAULT_VPC_TABLES, ([], []), ([], [A, B, C, D]), ([], [A, B]), [], (False, True)),
    "private-in-one-zone": Scenario(ONE_ZONE, ROUTE_TABLES, ([], []), ([A, B], [C, D]), ([A], [C, D]), ["rtb-privat01"],
                                    (False, True)),
}  # fmt: skip


@pytest.mark.parametrize("name", SCENARIOS)
def test_subnets_by_tags_else_by_route_table(parsed: dict[str, dict[str, Any]], tmp_path: Path, name: str) -> None:
    scenario = SCENARIOS[name]
    stack = parsed[STACK]
    network = {key: value for key, value in stack["locals"].items() if key.startswith("network_")}
    final = stack["data"]["aws_subnets"]
    outputs = {
        "by_route_private": "${local.network_private_subnets_by_route_table}",
        "by_route_public": "${local.network_public_subnets_by_route_table}",
        "private_route_tables": "${local.network_private_route_tables}",
        "private_one_per_zone": "${local.network_private_subnets_one_per_zone}",
        "load_balancer": stack["resource"]["aws_lb"]["load_balancer_alb"]["subnets"],
    }
    if scenario.one_per_zone[0]:  # dev's interface endpoints: in one zone (vpc_endpoint_azs 1), the first of them
        outputs["endpoints"] = stack["resource"]["aws_vpc_endpoint"]["endpoints_ecr_api"]["subnet_ids"]
    for kind in ("private", "public"):
        [in_vpc, by_id] = final[f"network_{kind}_subnets"]["filter"]
        assert (in_vpc["name"], by_id["name"]) == ("vpc-id", "subnet-id")
        [precondition] = final[f"network_{kind}_subnets"]["lifecycle"]["precondition"]
        outputs |= {kind: by_id["values"], f"{kind}_precondition": precondition["condition"]}
    fixtures = {
        "data.aws_subnets.network_vpc_subnets": {"ids": [s["SubnetId"] for s in scenario.subnets]},
        "data.aws_subnet.network_subnet": {s["SubnetId"]: {"availability_zone": s["AvailabilityZone"]} for s in scenario.subnets},
        "data.aws_route_table.network_route_table": provider_route_tables(scenario.tables),
        "data.aws_subnets.network_private_subnets_tagged": {"ids": scenario.tagged[0]},
        "data.aws_subnets.network_public_subnets_tagged": {"ids": scenario.tagged[1]},
        # The reads by id return the subnets asked for.
        "data.aws_subnets.network_private_subnets": {"ids": outputs["private"]},
        "data.aws_subnets.network_public_subnets": {"ids": outputs["public"]},
    }
    values = evaluate(tmp_path, network, fixtures, outputs)
    assert (values["private"], values["public"]) == scenario.selected
    assert (values["private_one_per_zone"], values["load_balancer"]) == scenario.one_per_zone
    assert values.get("endpoints", []) == scenario.one_per_zone[0][:1]
    assert values["private_route_tables"] == scenario.private_tables
    assert (values["private_precondition"], values["public_precondition"]) == scenario.preconditions
    # The same rule as the preflight command's, subnet by subnet.
    kinds = preflight.classify(scenario.subnets, scenario.tables)
    assert values["by_route_private"] == sorted(s for s, kind in kinds.items() if kind == "private")
    assert values["by_route_public"] == sorted(s for s, kind in kinds.items() if kind == "public")
    chosen = [s for s in scenario.subnets if s["SubnetId"] in scenario.selected[0]]
    assert values["private_route_tables"] == sorted(
        {t["RouteTableId"] for t in preflight.route_tables_of(chosen, scenario.tables).values()}
    )
    # The subnets whose AZs preflight checks for the endpoint services are the endpoints' own (a synthesized list has
    # vpc_endpoint_azs elements; a reference means every one per AZ).
    if "endpoints" in outputs:
        az_count = len(outputs["endpoints"]) if isinstance(outputs["endpoints"], list) else None
        assert values["endpoints"] == [s["SubnetId"] for s in preflight.endpoint_subnets(chosen, az_count)]


def test_a_short_selection_stops_the_plan_with_what_to_do(parsed: dict[str, dict[str, Any]]) -> None:
    messages = {
        kind: parsed[STACK]["data"]["aws_subnets"][f"network_{kind}_subnets"]["lifecycle"]["precondition"][0]["error_message"]
        for kind in ("private", "public")
    }
    assert messages == {
        "private": "The private subnets found in the VPC by the tags aws-cdk:subnet-type=Private or, when no subnet carries "
        "them, by route table (private: no route to an internet gateway) are in fewer than 2 Availability Zones; tag them "
        "or set private_subnet_ids in the configuration.",
        "public": "The public subnets found in the VPC by the tags aws-cdk:subnet-type=Public or, when no subnet carries "
        "them, by route table (public: a route to an internet gateway) are in fewer than 2 Availability Zones; tag them "
        "or set public_subnet_ids in the configuration.",
    }


def test_lookups_may_filter_by_tags_aws_sets() -> None:
    """CloudFormation tags what it creates with aws:cloudformation:stack-name; nobody can create an aws: tag, but a
    lookup may select by it: the subnets' filter and the certificate's tags carry it as given."""
    from tests.helpers import synth_environment

    stack_tag = {"aws:cloudformation:stack-name": "network-prod"}
    overrides = {"private_subnet_tags": stack_tag, "certificate_tags": {"aws:cloudformation:stack-name": "certificates"}}
    document = synth_environment("wallet-prod", overrides)
    tagged = document["data"]["aws_subnets"]["network_private_subnets_tagged"]["filter"]
    assert {"name": "tag:aws:cloudformation:stack-name", "values": ["network-prod"]} in tagged
    certificate = document["data"]["aws_acm_certificate"]["load_balancer_certificate"]
    assert certificate["tags"] == {"aws:cloudformation:stack-name": "certificates"}


def test_a_tag_filter_key_is_still_checked() -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({"wallet-dev": {"private_subnet_tags": {"Tier#1": "private"}}})
    assert str(raised.value) == "wallet-dev: private_subnet_tags key: 'Tier#1' is not valid; expected 1-128 tag characters"
