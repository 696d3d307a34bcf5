"""Every environment's stack: provider, default tags, backend, the image_tag variable, network lookups."""

from __future__ import annotations

import json
import re
from typing import Any

from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.data_aws_route_table import DataAwsRouteTable
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from cdktf_cdktf_provider_aws.provider import AwsProvider

from stacks import config, rules
from tests.conftest import ENV_STACKS
from tests.expected import EXPECTED


def test_every_environment_has_literal_expectations() -> None:
    assert list(EXPECTED) == ENV_STACKS, "tests/expected.py needs the literal expectations of every environment, in table order"
    assert [(e.environment, e.tier) for e in EXPECTED.values()] == [(c.environment, c.tier) for c in config.ENVIRONMENTS]


def test_provider_has_region_and_default_tags(synthesized: dict[str, str], env_stack: str) -> None:
    environment = EXPECTED[env_stack].environment
    assert CdktfTesting.to_have_provider_with_properties(
        synthesized[env_stack],
        AwsProvider.TF_RESOURCE_TYPE,
        {
            "region": "us-east-1",
            "default_tags": [{"tags": {"Environment": environment, "Project": "wallet-service", "ManagedBy": "cdktf"}}],
        },
    )


def test_provider_pins_allowed_accounts_and_optional_tags_when_configured(customized: dict[str, Any]) -> None:
    assert CdktfTesting.to_have_provider_with_properties(
        json.dumps(customized),
        AwsProvider.TF_RESOURCE_TYPE,
        {
            "allowed_account_ids": ["123456789012"],
            "default_tags": [
                {
                    "tags": {
                        "Environment": "staging",
                        "Project": "wallet-service",
                        "Owner": "payments",
                        "CostCenter": "engineering",
                        "ManagedBy": "cdktf",
                    }
                }
            ],
        },
    )


def test_backend_is_s3_encrypted_with_native_locking(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    terraform = parsed[env_stack]["terraform"]
    # No bucket until state_bucket is set (a partial configuration: terraform init asks for it), never a made-up one.
    assert terraform["backend"] == {
        "s3": {
            "key": f"wallet-service/{EXPECTED[env_stack].environment}/terraform.tfstate",
            "region": "us-east-1",
            "encrypt": True,
            "use_lockfile": True,
        }
    }
    assert terraform["required_version"] == ">= 1.11.0"


def test_state_keys_differ_per_environment(parsed: dict[str, dict[str, Any]]) -> None:
    keys = [parsed[stack]["terraform"]["backend"]["s3"]["key"] for stack in ENV_STACKS]
    assert len(set(keys)) == len(ENV_STACKS)


def test_image_tag_variable_is_required_and_validated(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    variable = parsed[env_stack]["variable"]["image_tag"]
    assert "default" not in variable  # no default: plan and deploy must be given a tag
    assert (variable["type"], variable["nullable"]) == ("string", False)
    [validation] = variable["validation"]
    assert validation["condition"] == f'${{can(regex("{rules.IMAGE_TAG}", var.image_tag))}}'
    assert validation["error_message"].startswith("image_tag must be a Docker tag")


def test_terraform_and_python_accept_the_same_tags() -> None:
    # Terraform's RE2 and Python's re agree on this expression; check it says what we mean.
    for good in ("v1.2.3", "latest", "2026-11-27_abc", "a" * 128):
        assert re.fullmatch(rules.IMAGE_TAG, good)
    for bad in ("", ".hidden", "-x", "v1 2", "a" * 129, "sha256:abc"):
        assert not re.fullmatch(rules.IMAGE_TAG, bad)


def test_image_tag_override_becomes_the_default(customized: dict[str, Any]) -> None:
    assert customized["variable"]["image_tag"]["default"] == "v1.2.3"


def test_network_lookups(synthesized: dict[str, str], env_stack: str) -> None:
    text = synthesized[env_stack]
    vpc = {"id": "vpc-aa8468cc"} if env_stack == "wallet-dev" else {"tags": {"Name": env_stack}}
    assert CdktfTesting.to_have_data_source_with_properties(text, DataAwsVpc.TF_RESOURCE_TYPE, vpc)
    in_vpc = {"name": "vpc-id", "values": ["${data.aws_vpc.network_vpc.id}"]}
    for kind in ("private", "public"):
        # AWS CDK's tag first; which subnets a plan then selects: tests/stacks/test_subnet_selection.py.
        assert CdktfTesting.to_have_data_source_with_properties(
            text, DataAwsSubnets.TF_RESOURCE_TYPE, {"filter": [in_vpc, {"name": "tag:aws-cdk:subnet-type", "values": [kind.title()]}]}
        )
        assert CdktfTesting.to_have_data_source_with_properties(
            text,
            DataAwsSubnets.TF_RESOURCE_TYPE,
            {
                "filter": [in_vpc, {"name": "subnet-id", "values": f"${{local.network_{kind}_subnet_candidates}}"}],
                "lifecycle": {
                    "precondition": [
                        {
                            "condition": f"${{length(distinct([for s in local.network_{kind}_subnet_candidates : "
                            "local.network_subnet_zones[s]])) >= 2}"
                        }
                    ]
                },
            },
        )
    assert CdktfTesting.to_have_data_source_with_properties(
        text, DataAwsRouteTable.TF_RESOURCE_TYPE, {"for_each": "${toset(data.aws_route_tables.network_vpc_route_tables.ids)}"}
    )


def test_no_resource_name_carries_the_environment(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    environment = EXPECTED[env_stack].environment
    for block in ("resource", "data"):
        for items in parsed[env_stack].get(block, {}).values():
            assert not [name for name in items if environment in name]
