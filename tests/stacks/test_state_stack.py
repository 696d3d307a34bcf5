"""wallet-state: the bootstrap bucket for remote state."""

from __future__ import annotations

from typing import Any

from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

from tests.conftest import ENV_STACKS

STATE = "wallet-state"


def test_local_backend_outside_the_output_folder(parsed: dict[str, dict[str, Any]]) -> None:
    assert parsed[STATE]["terraform"]["backend"] == {"local": {"path": "../../../terraform.wallet-state.tfstate"}}


def test_bucket_is_named_from_config_and_cannot_be_destroyed(synthesized: dict[str, str]) -> None:
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[STATE],
        S3Bucket.TF_RESOURCE_TYPE,
        {"bucket": "wallet-service-terraform-state", "lifecycle": {"prevent_destroy": True}},
    )


def test_environment_stacks_use_the_bucket_it_creates(parsed: dict[str, dict[str, Any]]) -> None:
    bucket = parsed[STATE]["resource"]["aws_s3_bucket"]["state_bucket"]["bucket"]
    for name in ENV_STACKS:
        assert parsed[name]["terraform"]["backend"]["s3"]["bucket"] == bucket


def test_state_versions_are_kept_90_days(parsed: dict[str, dict[str, Any]]) -> None:
    resources = parsed[STATE]["resource"]
    [versioning] = resources["aws_s3_bucket_versioning"].values()
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    [lifecycle] = resources["aws_s3_bucket_lifecycle_configuration"].values()
    assert [rule["noncurrent_version_expiration"] for rule in lifecycle["rule"]] == [[{"noncurrent_days": 90}]]


def test_tags_without_environment(parsed: dict[str, dict[str, Any]]) -> None:
    [provider] = parsed[STATE]["provider"]["aws"]
    assert provider["default_tags"] == [{"tags": {"Project": "wallet-service", "ManagedBy": "cdktf"}}]
