"""EncryptionKey: a customer-managed KMS key with rotation, administered by the account, used by named AWS services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class GrantCondition:
    test: str
    variable: str
    values: Sequence[str]


def same_account(account_id: str) -> GrantCondition:
    """Confused-deputy guard: the service acts for this account. Not for EventBridge (see alarms.py)."""
    return GrantCondition(test="StringEquals", variable="aws:SourceAccount", values=[account_id])


@dataclass(frozen=True, kw_only=True)
class ServiceGrant:
    """Lets AWS services use the key."""

    sid: str
    services: Sequence[str]
    """Service principals, e.g. logs.us-east-1.amazonaws.com."""
    actions: Sequence[str]
    """Exact KMS actions; no wildcards."""
    conditions: Sequence[GrantCondition] = field(default_factory=tuple)
    """Default: none. Use one wherever the service supports it (same_account, an encryption context)."""


# What CloudWatch Logs needs of the key that encrypts a log group (exact actions, no wildcards).
LOGS_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey")


def log_groups_grant(*, region: str, account_id: str, log_groups: Sequence[str], partition: str = "aws") -> ServiceGrant:
    """Lets CloudWatch Logs of ``region`` use the key for exactly these log groups (names, ``*`` allowed at the end)."""
    prefix = f"arn:{partition}:logs:{region}:{account_id}:log-group:"
    return ServiceGrant(
        sid="LogGroupsEncrypt",
        services=[f"logs.{region}.amazonaws.com"],
        actions=LOGS_KEY_ACTIONS,
        conditions=[
            GrantCondition(test="ArnLike", variable="kms:EncryptionContext:aws:logs:arn", values=[prefix + group for group in log_groups])
        ],
    )


@dataclass(frozen=True, kw_only=True)
class EncryptionKeyProps:
    alias: str
    """Without the alias/ prefix."""
    description: str
    account_id: str
    grants: Sequence[ServiceGrant]
    partition: str = "aws"
    deletion_window_days: int = 30
    """Days a scheduled deletion can still be cancelled. Default: 30, the maximum."""
    provider: TerraformProvider | None = None
    """The AWS provider of another Region. Default: the stack's."""


class EncryptionKey(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: EncryptionKeyProps) -> None:
        super().__init__(scope, id_)
        statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="AccountAdministers",
                # AWS's default key policy: without it the key can become unmanageable. It delegates to IAM policies of
                # this account; in a key policy "*" as resource means this key.
                actions=["kms:*"],
                resources=["*"],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="AWS", identifiers=[f"arn:{props.partition}:iam::{props.account_id}:root"]
                    )
                ],
            ),
            *(
                DataAwsIamPolicyDocumentStatement(
                    sid=grant.sid,
                    actions=list(grant.actions),
                    resources=["*"],  # in a key policy, "*" means this key
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=list(grant.services))],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(test=c.test, variable=c.variable, values=list(c.values))
                        for c in grant.conditions
                    ]
                    or None,
                )
                for grant in props.grants
            ),
        ]
        policy = DataAwsIamPolicyDocument(self, "policy", statement=statements, provider=props.provider)
        key = KmsKey(
            self,
            "key",
            description=props.description,
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_days,
            policy=policy.json,
            provider=props.provider,
        )
        KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=key.key_id, provider=props.provider)
        self.arn: str = key.arn
