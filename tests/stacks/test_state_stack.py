"""wallet-state: the bootstrap bucket for remote state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import App
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

from stacks.state_stack import StateStack
from tests.conftest import ENV_STACKS, Build

STATE = "wallet-state"


def test_local_backend_outside_the_output_folder(parsed: dict[str, dict[str, Any]]) -> None:
    assert parsed[STATE]["terraform"]["backend"] == {"local": {"path": "../../../terraform.wallet-state.tfstate"}}


def test_bucket_is_named_after_the_account_and_cannot_be_destroyed(synthesized: dict[str, str]) -> None:
    # S3 names are global: the account and Region make the name this project's own in every account.
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[STATE],
        S3Bucket.TF_RESOURCE_TYPE,
        {
            "bucket": "wallet-service-terraform-state-${data.aws_caller_identity.bucket_account.account_id}-us-east-1",
            "lifecycle": {"prevent_destroy": True},
        },
    )
    assert json.loads(synthesized[STATE])["output"]["state_bucket_name"]["value"] == "${aws_s3_bucket.state_bucket.bucket}"


def test_environment_stacks_use_the_bucket_it_creates(any_build: Build) -> None:
    bucket = any_build.parsed[STATE]["resource"]["aws_s3_bucket"]["state_bucket"]["bucket"]
    for name in ENV_STACKS:
        backend = any_build.parsed[name]["terraform"]["backend"]["s3"]
        if "${" in bucket:  # known only once wallet-state has run: no backend names a bucket until state_bucket is set
            assert "bucket" not in backend
        else:
            assert backend["bucket"] == bucket


@pytest.mark.parametrize(
    ("bucket", "accounts"),
    [
        ("wallet-service-terraform-state-123456789012-eu-west-1", ["123456789012"]),
        ("acme-wallet-state", None),  # a name of the team's choice: the bucket may live in a tooling account
        ("wallet-service-terraform-state-123456789012-us-east-1", None),  # made for another Region
    ],
)
def test_a_name_made_from_the_account_holds_the_provider_to_it(bucket: str, accounts: list[str] | None) -> None:
    stack = StateStack(App(), STATE, bucket_name=bucket, account="123456789012", region="eu-west-1", tags={})
    parsed = json.loads(CdktfTesting.synth(stack))
    [provider] = parsed["provider"]["aws"]
    assert provider.get("allowed_account_ids") == accounts
    assert parsed["resource"]["aws_s3_bucket"]["state_bucket"]["bucket"] == bucket
    assert "aws_caller_identity" not in parsed["data"]


def test_state_versions_are_kept_90_days(parsed: dict[str, dict[str, Any]]) -> None:
    resources = parsed[STATE]["resource"]
    [versioning] = resources["aws_s3_bucket_versioning"].values()
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    [lifecycle] = resources["aws_s3_bucket_lifecycle_configuration"].values()
    assert [rule["noncurrent_version_expiration"] for rule in lifecycle["rule"]] == [[{"noncurrent_days": 90}]]


def test_tags_without_environment(parsed: dict[str, dict[str, Any]]) -> None:
    [provider] = parsed[STATE]["provider"]["aws"]
    assert provider["default_tags"] == [{"tags": {"Project": "wallet-service", "ManagedBy": "cdktf"}}]
