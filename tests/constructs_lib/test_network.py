"""Network in a bare stack: lookups by tags or by explicit ids, and their plan-time guards."""

from __future__ import annotations

import json

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc

from constructs_lib.network import Network, NetworkProps, SubnetSelection


def synth(props: NetworkProps) -> str:
    stack = TerraformStack(CdktfTesting.app(), "test")
    Network(stack, "network", props=props)
    return CdktfTesting.synth(stack)


def test_explicit_ids_must_all_be_found() -> None:
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
    [postcondition] = private["lifecycle"]["postcondition"]
    assert postcondition["condition"] == "${length(self.ids) == 2}"
    assert postcondition["error_message"] == (
        "Not all of the private subnets subnet-0123456789abcdef0, subnet-0123456789abcdef1 were found in the VPC."
    )
    public = next(s for s in subnets.values() if s is not private)
    assert {"name": "tag:Tier", "values": ["public"]} in public["filter"]
    assert public["lifecycle"]["postcondition"][0]["error_message"] == (
        "Fewer than 2 public subnets tagged Tier=public were found in the VPC; tag them or set public_subnet_ids in the configuration."
    )


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


def test_a_selection_needs_ids_or_tags() -> None:
    with pytest.raises(ValueError, match="SubnetSelection for private subnets needs ids or tags"):
        synth(NetworkProps(vpc_id="vpc-12345678", private_subnets=SubnetSelection(), public_subnets=SubnetSelection(tags={"a": "b"})))
