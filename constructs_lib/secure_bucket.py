"""SecureBucket: an S3 bucket that is private, encrypted, TLS-only and expires what it no longer needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls, S3BucketOwnershipControlsRule
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA, S3BucketVersioningVersioningConfiguration
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class SecureBucketProps:
    bucket_name: str
    encryption: Literal["aws:kms", "AES256"] = "aws:kms"
    """Default: SSE-KMS with the AWS-managed key and an S3 bucket key. ALB access logs need "AES256"."""
    versioned: bool = True
    """Default: versioning on."""
    noncurrent_version_expiration_days: int = 90
    """Days a replaced object version is kept (versioned buckets). Default: 90."""
    expiration_days: int | None = None
    """Days after which current objects expire. Default: never."""
    prevent_destroy: bool = False
    """Terraform refuses to destroy the bucket. Default: off."""
    writers: tuple[DataAwsIamPolicyDocumentStatementPrincipals, ...] = field(default_factory=tuple)
    """Principals allowed s3:PutObject under ``writer_prefix`` (e.g. a log delivery service). Default: none."""
    writer_prefix: str = ""
    """Key prefix the writers may put objects under. Default: the whole bucket."""


class SecureBucket(Construct):
    """Public access blocked, bucket-owner-enforced ownership, default encryption, a TLS-only policy, lifecycle rules."""

    def __init__(self, scope: Construct, id_: str, *, props: SecureBucketProps) -> None:
        super().__init__(scope, id_)
        bucket = S3Bucket(
            self,
            "bucket",
            bucket=props.bucket_name,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if props.prevent_destroy else None,
        )
        self.bucket_name: str = bucket.bucket
        self.bucket_arn: str = bucket.arn
        S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self, "ownership", bucket=bucket.id, rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced")
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm=props.encryption
                    ),
                    bucket_key_enabled=props.encryption == "aws:kms",
                )
            ],
        )
        if props.versioned:
            S3BucketVersioningA(
                self, "versioning", bucket=bucket.id, versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled")
            )
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=bucket.id, rule=[self._lifecycle_rule(props)])
        policy = DataAwsIamPolicyDocument(
            self,
            "policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                    actions=["s3:*"],  # a Deny of every action: the only safe form of this statement
                    resources=[bucket.arn, f"{bucket.arn}/*"],
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="Bool", variable="aws:SecureTransport", values=["false"])],
                ),
                *self._writer_statements(props, bucket.arn),
            ],
        )
        self.policy = S3BucketPolicy(self, "policy", bucket=bucket.id, policy=policy.json)
        """Depend on this before a service that checks its write access on creation (ALB access logs)."""

    @staticmethod
    def _writer_statements(props: SecureBucketProps, bucket_arn: str) -> list[DataAwsIamPolicyDocumentStatement]:
        if not props.writers:
            return []
        return [
            DataAwsIamPolicyDocumentStatement(
                sid="Writers", actions=["s3:PutObject"], principals=list(props.writers), resources=[f"{bucket_arn}/{props.writer_prefix}*"]
            )
        ]

    @staticmethod
    def _lifecycle_rule(props: SecureBucketProps) -> S3BucketLifecycleConfigurationRule:
        return S3BucketLifecycleConfigurationRule(
            id="expire-old-data",
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            abort_incomplete_multipart_upload=[S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)],
            noncurrent_version_expiration=[
                S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=props.noncurrent_version_expiration_days)
            ]
            if props.versioned
            else None,
            expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=props.expiration_days)] if props.expiration_days else None,
        )
