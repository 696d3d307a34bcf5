"""SecureBucket: an S3 bucket that is private, encrypted, TLS-only and expires what it no longer needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
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
    key_grants: tuple[KeyGrant, ...] = ()
    """Exact keys that exact principals may read or write, and no principal of another account else (the bucket's own
    account keeps what its IAM policies give). With any, those principals may also list the bucket and read its
    versioning and encryption. Default: none."""


@dataclass(frozen=True, kw_only=True)
class KeyGrant:
    """IAM principals, in this account or others, allowed exact actions on exact object keys of the bucket; every
    principal of another account that no grant names for a key is denied the actions granted on it."""

    sid: str
    principal_arns: tuple[str, ...]
    """IAM role or user ARNs."""
    actions: tuple[str, ...]
    """Object actions, e.g. ("s3:GetObject",)."""
    keys: tuple[str, ...]
    """Exact object keys, no wildcards."""


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
                *self._key_statements(props, bucket.arn),
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

    def _key_statements(self, props: SecureBucketProps, bucket_arn: str) -> list[DataAwsIamPolicyDocumentStatement]:
        """Each grant; then, per key, a deny of the actions granted on it to every principal outside the bucket's account
        that no grant names for it. aws:PrincipalArn is a role's ARN for its sessions too (docs.aws.amazon.com/IAM/latest/
        UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn)."""
        if not props.key_grants:
            return []
        owner = DataAwsCallerIdentity(self, "owner").account_id
        everyone = [DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])]
        granted: dict[str, tuple[set[str], set[str]]] = {}
        # The bucket itself: list it, and read its versioning and encryption (what `pipenv run preflight` checks).
        bucket_reads = ["s3:ListBucket", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration"]
        grantees = sorted({arn for grant in props.key_grants for arn in grant.principal_arns})
        statements = [_allow("BucketForKeyGrants", bucket_reads, grantees, [bucket_arn])]
        for grant in props.key_grants:
            statements.append(
                _allow(grant.sid, list(grant.actions), list(grant.principal_arns), [f"{bucket_arn}/{key}" for key in grant.keys])
            )
            for key in grant.keys:
                principals, actions = granted.setdefault(key, (set(), set()))
                principals.update(grant.principal_arns)
                actions.update(grant.actions)
        for index, (key, (principals, actions)) in enumerate(granted.items(), start=1):
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid=f"OnlyGranteesOfKey{index}",
                    effect="Deny",
                    actions=sorted(actions),
                    principals=everyone,
                    resources=[f"{bucket_arn}/{key}"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnNotEquals", variable="aws:PrincipalArn", values=sorted(principals)
                        ),
                        DataAwsIamPolicyDocumentStatementCondition(test="StringNotEquals", variable="aws:PrincipalAccount", values=[owner]),
                    ],
                )
            )
        return statements

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


def _allow(sid: str, actions: list[str], principal_arns: list[str], resources: list[str]) -> DataAwsIamPolicyDocumentStatement:
    principals = [DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=principal_arns)]
    return DataAwsIamPolicyDocumentStatement(sid=sid, actions=actions, principals=principals, resources=resources)
