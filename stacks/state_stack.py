"""wallet-state: the S3 bucket that keeps the other stacks' Terraform state (bootstrap, local backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf import LocalBackend, TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from constructs_lib.secure_bucket import KeyGrant, SecureBucket, SecureBucketProps
from stacks.base import AddressedStack
from stacks.config import state_bucket_name

# Relative to cdktf.out/stacks/wallet-state/, where terraform runs: the project's top folder, so the
# bootstrap state survives a new synth and does not depend on where the project is checked out.
LOCAL_STATE_PATH = "../../../terraform.wallet-state.tfstate"
NONCURRENT_STATE_DAYS = 90


class StateStack(AddressedStack):
    """``bucket_name`` None: the bucket is named after the account it is created in (state_bucket_name in
    stacks/config.py, as a Terraform expression); ``account``: the state account, or the one account the environments
    allow, if any; ``key_grants``: the environments' roles in accounts of their own (stacks/accounts.py state_grants)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket_name: str | None,
        account: str | None,
        region: str,
        tags: Mapping[str, str],
        key_grants: Sequence[KeyGrant] = (),
    ) -> None:
        super().__init__(scope, id_)
        # A name made from an account is that account's: the provider may act on no other.
        accounts = [account] if account and bucket_name == state_bucket_name(account, region) else None
        AwsProvider(self, "aws", region=region, allowed_account_ids=accounts, default_tags=[AwsProviderDefaultTags(tags=dict(tags))])
        LocalBackend(self, path=LOCAL_STATE_PATH)
        if bucket_name is None:
            bucket_name = state_bucket_name(DataAwsCallerIdentity(self, "bucket_account").account_id, region)
        bucket = SecureBucket(
            self,
            "state",
            props=SecureBucketProps(
                bucket_name=bucket_name,
                noncurrent_version_expiration_days=NONCURRENT_STATE_DAYS,
                prevent_destroy=True,
                key_grants=tuple(key_grants),
                # Objects under the AWS managed key aws/s3 cannot be read from another account; SSE-S3 can, as the
                # bucket policy allows (docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html: "use a
                # customer managed key if you want to grant cross-account access to your S3 objects").
                encryption="AES256" if key_grants else "aws:kms",
            ),
        )
        TerraformOutput(self, "state_bucket_name", value=bucket.bucket_name, description="S3 bucket of the environments' state")
