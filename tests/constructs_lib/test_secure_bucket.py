"""SecureBucket in a bare stack: private, encrypted, TLS-only, expiring."""

from __future__ import annotations

import json
from typing import Any

from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import S3BucketLifecycleConfiguration
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import S3BucketServerSideEncryptionConfigurationA
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA

from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps


def synth(props: SecureBucketProps) -> str:
    stack = TerraformStack(CdktfTesting.app(), "test")
    SecureBucket(stack, "logs", props=props)
    return CdktfTesting.synth(stack)


def resources(text: str, kind: str) -> list[dict[str, Any]]:
    return list(json.loads(text)["resource"].get(kind, {}).values())


def test_defaults_versioned_kms_private_tls_only() -> None:
    text = synth(SecureBucketProps(bucket_name="example-bucket"))
    assert CdktfTesting.to_have_resource_with_properties(text, S3Bucket.TF_RESOURCE_TYPE, {"bucket": "example-bucket"})
    assert "lifecycle" not in resources(text, S3Bucket.TF_RESOURCE_TYPE)[0]
    assert CdktfTesting.to_have_resource_with_properties(
        text,
        S3BucketPublicAccessBlock.TF_RESOURCE_TYPE,
        {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True, "restrict_public_buckets": True},
    )
    assert CdktfTesting.to_have_resource_with_properties(
        text, S3BucketOwnershipControls.TF_RESOURCE_TYPE, {"rule": {"object_ownership": "BucketOwnerEnforced"}}
    )
    assert CdktfTesting.to_have_resource_with_properties(
        text,
        S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE,
        {"rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}, "bucket_key_enabled": True}]},
    )
    assert CdktfTesting.to_have_resource_with_properties(
        text, S3BucketVersioningA.TF_RESOURCE_TYPE, {"versioning_configuration": {"status": "Enabled"}}
    )
    [rule] = resources(text, S3BucketLifecycleConfiguration.TF_RESOURCE_TYPE)[0]["rule"]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert "expiration" not in rule
    [document] = json.loads(text)["data"]["aws_iam_policy_document"].values()
    [deny] = document["statement"]
    assert (deny["effect"], deny["actions"]) == ("Deny", ["s3:*"])
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_unversioned_expiring_sse_s3_protected() -> None:
    text = synth(
        SecureBucketProps(bucket_name="logs-bucket", encryption="AES256", versioned=False, expiration_days=30, prevent_destroy=True)
    )
    assert CdktfTesting.to_have_resource_with_properties(text, S3Bucket.TF_RESOURCE_TYPE, {"lifecycle": {"prevent_destroy": True}})
    assert not resources(text, S3BucketVersioningA.TF_RESOURCE_TYPE)
    assert CdktfTesting.to_have_resource_with_properties(
        text,
        S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE,
        {"rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}, "bucket_key_enabled": False}]},
    )
    [rule] = resources(text, S3BucketLifecycleConfiguration.TF_RESOURCE_TYPE)[0]["rule"]
    assert rule["expiration"] == [{"days": 30}]
    assert "noncurrent_version_expiration" not in rule
