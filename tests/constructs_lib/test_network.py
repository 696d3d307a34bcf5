"""Network in a bare stack: lookups by tags or by explicit ids, and their plan-time guards."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc

from constructs_lib.network import Network, NetworkProps, SubnetSelection
from tests.terraform_eval import evaluate


def synth(props: NetworkProps) -> str:
    stack = TerraformStack(CdktfTesting.app(), "test")
    Network(stack, "network", props=props)
    return CdktfTesting.synth(stack)


def named(items: dict[str, Any], name: str) -> Any:
    """The item cdktf named ``name`` in a bare stack (it appends a hash of the construct path)."""
    [found] = [value for key, value in items.items() if re.fullmatch(rf"{name}_[0-9A-F]{{8}}", key)]
    return found


def test_explicit_ids_must_all_be_found_in_two_zones(tmp_path: Path) -> None:
    ids = ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    text = synth(
        NetworkProps(
            vpc_id="vpc-0123456789abcdef0",
            private_subnets=SubnetSelection(ids=ids),
            public_subnets=SubnetSelection(tags={"Tier": "public"}),
        )
    )
    assert CdktfTesting.to_have_data_source_with_properties(text, DataAwsVpc.TF_RESOURCE_TYPE, {"id": "vpc-0123456789abcdef0"})
    subnets = json.loads(text)["data"][DataAwsSubnets.TF_RESOURCE_TYPE]
    private = next(s for s in subnets.values() if {"name": "subnet-id", "values": list(ids)} in s["filter"])
    found, zones = private["lifecycle"]["postcondition"]
    assert [found["error_message"], zones["error_message"]] == [
        "Not all of the private subnets subnet-0123456789abcdef0, subnet-0123456789abcdef1 were found in the VPC.",
        "The private subnets subnet-0123456789abcdef0, subnet-0123456789abcdef1 are in fewer than 2 Availability Zones.",
    ]
    # What the VPC answers -> whether each postcondition holds, evaluated by Terraform.
    document = json.loads(text)
    [described] = document["data"]["aws_subnet"]
    cases = {"both-in-two-zones": (list(ids), ["us-east-1a", "us-east-1b"]), "one-missing": (list(ids[:1]), ["us-east-1a"]),
             "one-zone": (list(ids), ["us-east-1a", "us-east-1a"])}  # fmt: skip
    results = {}
    for name, (answered, answered_zones) in cases.items():
        outputs = {kind: c["condition"].replace("self.ids", json.dumps(answered)) for kind, c in (("found", found), ("zones", zones))}
        fixtures = {f"data.aws_subnet.{described}": dict(zip(answered, ({"availability_zone": z} for z in answered_zones), strict=True))}
        zone_of = {key: value for key, value in document["locals"].items() if key.startswith("network_subnet_zones_")}
        results[name] = evaluate(tmp_path / name, zone_of, fixtures, outputs)
    assert results == {
        "both-in-two-zones": {"found": True, "zones": True},
        "one-missing": {"found": False, "zones": False},
        "one-zone": {"found": True, "zones": False},
    }
    public = named(subnets, "network_public_subnets")  # by tags, else by route table
    assert named(subnets, "network_public_subnets_tagged")["filter"][1] == {"name": "tag:Tier", "values": ["public"]}
    assert public["lifecycle"]["precondition"][0]["error_message"] == (
        "The public subnets found in the VPC by the tags Tier=public or, when no subnet carries them, by route table "
        "(public: a route to an internet gateway) are in fewer than 2 Availability Zones; tag them or set public_subnet_ids "
        "in the configuration."
    )
    assert "network_private_subnets_tagged_" not in str(subnets)  # explicit ids: no tag lookup


def test_vpc_by_tags_when_no_id() -> None:
    text = synth(
        NetworkProps(
            vpc_tags={"Name": "wallet-test"},
            private_subnets=SubnetSelection(tags={"Tier": "private"}),
            public_subnets=SubnetSelection(tags={"Tier": "public"}),
        )
    )
    assert CdktfTesting.to_have_data_source_with_properties(text, DataAwsVpc.TF_RESOURCE_TYPE, {"tags": {"Name": "wallet-test"}})
    assert "id" not in next(iter(json.loads(text)["data"][DataAwsVpc.TF_RESOURCE_TYPE].values()))


def test_without_tags_by_route_table_only() -> None:
    text = synth(NetworkProps(vpc_id="vpc-12345678", private_subnets=SubnetSelection(), public_subnets=SubnetSelection(tags={"a": "b"})))
    document = json.loads(text)
    subnets = document["data"][DataAwsSubnets.TF_RESOURCE_TYPE]
    [tagged] = [name for name in subnets if "tagged" in name]  # only the public subnets have tags to look up
    assert tagged.startswith("network_public_subnets_tagged_")
    assert named(document["locals"], "network_private_subnet_candidates").startswith(
        "${tolist(local.network_private_subnets_by_route_table"
    )
    private = named(subnets, "network_private_subnets")
    assert private["lifecycle"]["precondition"][0]["error_message"] == (
        "The private subnets found in the VPC by route table (private: no route to an internet gateway) are in fewer "
        "than 2 Availability Zones; tag them or set private_subnet_ids in the configuration."
    )
