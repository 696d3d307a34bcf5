"""wallet-state: the S3 bucket that keeps the other stacks' Terraform state (bootstrap, local backend)."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import LocalBackend, TerraformOutput
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from stacks.base import AddressedStack

# Relative to cdktf.out/stacks/wallet-state/, where terraform runs: the project's top folder, so the
# bootstrap state survives a new synth and does not depend on where the project is checked out.
LOCAL_STATE_PATH = "../../../terraform.wallet-state.tfstate"
NONCURRENT_STATE_DAYS = 90


class StateStack(AddressedStack):
    def __init__(self, scope: Construct, id_: str, *, bucket_name: str, region: str, tags: Mapping[str, str]) -> None:
        super().__init__(scope, id_)
        AwsProvider(self, "aws", region=region, default_tags=[AwsProviderDefaultTags(tags=dict(tags))])
        LocalBackend(self, path=LOCAL_STATE_PATH)
        bucket = SecureBucket(
            self,
            "state",
            props=SecureBucketProps(
                bucket_name=bucket_name,
                noncurrent_version_expiration_days=NONCURRENT_STATE_DAYS,
                prevent_destroy=True,
            ),
        )
        TerraformOutput(self, "state_bucket_name", value=bucket.bucket_name, description="S3 bucket of the environments' state")
