"""EncryptionKey: a customer-managed KMS key with rotation, administered by the account, used by named AWS services
(and, where a copy needs it, by another account)."""

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
class AccountGrant:
    """Lets another AWS account use the key (its IAM policies decide who in it may)."""

    sid: str
    account_id: str
    """The 12-digit account; its root principal is named, which delegates to that account's IAM."""
    actions: Sequence[str]
    """Exact KMS actions (AWS's documented ``kms:ReEncrypt*`` and ``kms:GenerateDataKey*`` forms allowed)."""
    conditions: Sequence[GrantCondition] = field(default_factory=tuple)
    """Default: none."""


# docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html ("Allowing access to an AWS KMS key"):
# for another account to copy an encrypted DB snapshot shared with it, the key policy names that account with these
# actions, and lets it create, list and revoke grants for AWS resources (RDS uses the key through a grant). AWS's
# statements as documented: AWS documents no narrower set for the copy, and a missing action would show only as a
# failed copy job in a real account.
SNAPSHOT_COPY_KEY_ACTIONS = ("kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
SNAPSHOT_COPY_GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")


def snapshot_copy_grants(account_id: str) -> tuple[AccountGrant, AccountGrant]:
    """What account ``account_id`` needs of the key that encrypts an RDS snapshot to copy it into its own vault."""
    return (
        AccountGrant(sid="CopyAccountUsesKey", account_id=account_id, actions=SNAPSHOT_COPY_KEY_ACTIONS),
        AccountGrant(
            sid="CopyAccountGrantsForAwsResources",
            account_id=account_id,
            actions=SNAPSHOT_COPY_GRANT_ACTIONS,
            conditions=[GrantCondition(test="Bool", variable="kms:GrantIsForAWSResource", values=["true"])],
        ),
    )


@dataclass(frozen=True, kw_only=True)
class EncryptionKeyProps:
    alias: str
    """Without the alias/ prefix."""
    description: str
    account_id: str
    grants: Sequence[ServiceGrant]
    account_grants: Sequence[AccountGrant] = ()
    """Other accounts that may use the key. Default: none."""
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
            *(
                DataAwsIamPolicyDocumentStatement(
                    sid=grant.sid,
                    actions=list(grant.actions),
                    resources=["*"],  # in a key policy, "*" means this key
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="AWS", identifiers=[f"arn:{props.partition}:iam::{grant.account_id}:root"]
                        )
                    ],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(test=c.test, variable=c.variable, values=list(c.values))
                        for c in grant.conditions
                    ]
                    or None,
                )
                for grant in props.account_grants
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
