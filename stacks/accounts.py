"""One AWS account per environment: the roles the project makes there, and the rules of the account settings.

Without ``account_id`` in any environment, nothing here applies and every stack is as it was. With it (every
environment names one), each environment's account gets ``wallet-roles-<account>`` (an OIDC provider for GitHub's
workflows, a deploy role, a plan role, a permissions boundary per environment), the state bucket lives in
``state_account_id``, and its policy lets each environment's roles reach exactly that environment's state
(docs/accounts.md). Never imports cdktf.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stacks.errors import ConfigError
from stacks.rules import ACCOUNT_ID, check_optional, fail

if TYPE_CHECKING:
    from stacks.config import EnvironmentConfig

ROLE_PATH = "/wallet-service/"
"""The IAM path of the roles and the boundary this project makes for its pipeline (not the workloads' roles)."""
ROLES_STACK_PREFIX = "wallet-roles-"
GITHUB_OIDC_URL = "token.actions.githubusercontent.com"
# IAM role ARNs: docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html (path segments and names of
# [\w+=,.@-]; a name of at most 64 characters).
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$", re.ASCII)
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\.actions\.githubusercontent\.com$")

# The Terraform resource types of the environment stacks, by the prefix of their name, and the IAM service prefix
# that acts on them (docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-
# contextkeys.html). The deploy role may act on these services and no other; tests/test_accounts.py fails on
# a resource type of the synthesized stacks that this table does not name, and on a service here without a scope in
# DEPLOY_SCOPES.
SERVICE_OF_RESOURCE: dict[str, str] = {
    "aws_appautoscaling_": "application-autoscaling",
    "aws_backup_": "backup",
    "aws_cloudwatch_dashboard": "cloudwatch",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_event_": "events",
    "aws_cloudwatch_log_": "logs",
    "aws_db_": "rds",
    "aws_ecr_": "ecr",
    "aws_ecs_": "ecs",
    "aws_iam_": "iam",
    "aws_kms_": "kms",
    "aws_lb": "elasticloadbalancing",
    "aws_s3_": "s3",
    "aws_security_group": "ec2",
    "aws_vpc_": "ec2",
    "aws_sns_": "sns",
    "aws_wafv2_": "wafv2",
}
DEPLOY_SCOPES: dict[str, tuple[str, ...]] = {
    # Per service the deploy role may use, the resources it may act on: ARN patterns of the names the stacks give
    # ({p} partition, {a} account, {e} environment, {r} the ECR repository), from each service's resource types in the
    # Service Authorization Reference (docs.aws.amazon.com/service-authorization/latest/reference/
    # reference_policies_actions-resources-contextkeys.html). "*" where the service names the stacks' resources by
    # generated ids (EC2 security groups and endpoints, KMS keys, scalable targets) or its actions take no resource
    # (kms:CreateKey): those services' actions are BY_ID_ACTIONS, listed one by one.
    "application-autoscaling": ("*",),
    "backup": ("arn:{p}:backup:*:{a}:backup-vault:wallet-service-{e}*", "arn:{p}:backup:*:{a}:backup-plan:*",
               "arn:{p}:backup:*:{a}:restore-testing-plan:wallet_service_{e}_*", "arn:{p}:backup:*:{a}:recovery-point:*"),
    "backup-storage": ("*",),
    # Target tracking makes its alarms itself, in the caller's name: TargetTracking-service/<cluster>/<service>-AlarmHigh-...
    # (docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html).
    "cloudwatch": ("arn:{p}:cloudwatch:*:{a}:alarm:wallet-service-{e}-*", "arn:{p}:cloudwatch::{a}:dashboard/wallet-service-{e}",
                   "arn:{p}:cloudwatch:*:{a}:alarm:TargetTracking-service/wallet-service-cluster-{e}/*"),
    "ec2": ("*",),
    # The image repository is the team's, only read (Read); the pull-through cache's repositories are the stack's.
    "ecr": ("arn:{p}:ecr:*:{a}:repository/ecr-public-{e}/*",),
    "ecs": ("arn:{p}:ecs:*:{a}:cluster/wallet-service-cluster-{e}", "arn:{p}:ecs:*:{a}:service/wallet-service-cluster-{e}/*",
            "arn:{p}:ecs:*:{a}:task/wallet-service-cluster-{e}/*", "arn:{p}:ecs:*:{a}:task-definition/wallet-service-{e}:*",
            "arn:{p}:ecs:*:{a}:task-definition/wallet-service-migration-{e}:*",
            "arn:{p}:ecs:*:{a}:service-deployment/wallet-service-cluster-{e}/*",
            "arn:{p}:ecs:*:{a}:service-revision/wallet-service-cluster-{e}/*"),
    "elasticloadbalancing": ("arn:{p}:elasticloadbalancing:*:{a}:loadbalancer/app/wallet-service-{e}/*",
                             "arn:{p}:elasticloadbalancing:*:{a}:listener/app/wallet-service-{e}/*",
                             "arn:{p}:elasticloadbalancing:*:{a}:listener-rule/app/wallet-service-{e}/*",
                             "arn:{p}:elasticloadbalancing:*:{a}:targetgroup/wallet-service-{e}*/*"),
    "events": ("arn:{p}:events:*:{a}:rule/wallet-service-{e}-*",),
    "kms": ("*",),
    "logs": ("arn:{p}:logs:*:{a}:log-group:/aws/ecs/wallet-service/{e}*", "arn:{p}:logs:*:{a}:log-group:/aws/ecs/WalletMigrations/{e}*",
             "arn:{p}:logs:*:{a}:log-group:/aws/rds/instance/wallet-service-{e}/*",
             "arn:{p}:logs:*:{a}:log-group:aws-waf-logs-wallet-service-{e}*"),
    # CreateDBInstance also names the parameter group (name_prefix wallet-service-<env>-postgres<major>-), the default
    # option group and the subnet group.
    "rds": ("arn:{p}:rds:*:{a}:db:wallet-service-{e}*", "arn:{p}:rds:*:{a}:subgrp:wallet-service-{e}*", "arn:{p}:rds:*:{a}:pg:wallet-service-{e}-*",
            "arn:{p}:rds:*:{a}:og:default:postgres-*", "arn:{p}:rds:*:{a}:snapshot:wallet-service-{e}*"),
    "s3": ("arn:{p}:s3:::wallet-service-{e}-*",),
    # RDS keeps the master user's password in a secret of its own, named rds!db-<id>
    # (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html).
    "secretsmanager": ("arn:{p}:secretsmanager:*:{a}:secret:rds!*",),
    "sns": ("arn:{p}:sns:*:{a}:wallet-service-{e}-*",),
    "wafv2": ("arn:{p}:wafv2:*:{a}:regional/webacl/wallet-service-{e}/*", "arn:{p}:wafv2:*:{a}:regional/managedruleset/*/*"),
}  # fmt: skip
BY_ID_ACTIONS: tuple[str, ...] = (
    # The deploy role's actions on resources that the services name by generated ids, or that take no resource
    # (the Service Authorization Reference lists no resource type for them): listed one by one, on any resource.
    "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:TagResource", "application-autoscaling:UntagResource",
    "backup-storage:MountCapsule",
    "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:CreateTags", "ec2:DeleteTags", "ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints",
    "ecr:CreatePullThroughCacheRule", "ecr:DeletePullThroughCacheRule",
    "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition",
    # The stacks' customer managed keys (logs, alarms, database, backup vaults); RDS and AWS Backup use a key on the
    # caller's behalf through grants (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html).
    "kms:CreateKey", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:EnableKeyRotation",
    "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource",
    "kms:UntagResource", "kms:UpdateKeyDescription", "kms:CreateGrant", "kms:RetireGrant", "kms:GenerateDataKey", "kms:Decrypt",
    # WAF's logging to CloudWatch Logs (docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html#logging-cw-logs-permissions).
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:PutResourcePolicy", "logs:DeleteResourcePolicy",
)  # fmt: skip
BOUNDARY_BY_ID_ACTIONS: tuple[str, ...] = (
    # Of BY_ID_ACTIONS, what the stacks' roles use: the keys (the tasks decrypt their secret; AWS Backup encrypts its
    # vaults' recovery points and RDS copies under them: docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html)
    # and the vaults' storage. Nothing that makes security groups, endpoints or keys.
    "backup-storage:MountCapsule", "kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt",
)  # fmt: skip
WORKLOAD_ACTIONS: tuple[str, ...] = (
    # What the roles the stacks make do beyond the deploy role's own actions, on any resource, for the permissions
    # boundary: the tasks (ECR login, ECS Exec) and AWS Backup's service roles, whose AWS managed policies act on RDS
    # snapshots and restored instances AWS Backup names itself (so these hold for every instance of the account:
    # docs/accounts.md#what-the-roles-may-do) (docs.aws.amazon.com/aws-managed-policy/latest/
    # reference/AWSBackupServiceRolePolicyForBackup.html, AWSBackupServiceRolePolicyForRestores.html).
    "ecr:GetAuthorizationToken",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
    "tag:GetResources",
    "rds:AddTagsToResource", "rds:ListTagsForResource", "rds:CreateDBSnapshot", "rds:CopyDBSnapshot", "rds:DeleteDBSnapshot",
    "rds:ModifyDBSnapshotAttribute", "rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBInstanceToPointInTime",
    "rds:DeleteDBInstance", "rds:ModifyDBInstance", "rds:DeleteDBInstanceAutomatedBackup",
    "rds:StartDBInstanceAutomatedBackupsReplication", "rds:StopDBInstanceAutomatedBackupsReplication",
)  # fmt: skip
PLAN_GETS: tuple[str, ...] = (
    # What Terraform's refresh reads with Get* beyond Describe*/List*, on the stacks' names (DEPLOY_SCOPES) for the plan
    # role: configuration, never data (no s3:GetObject, secretsmanager:GetSecretValue or logs:GetLogEvents).
    "backup:Get*", "cloudwatch:GetDashboard", "cloudwatch:GetMetricData", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy",
    "events:Describe*", "sns:GetTopicAttributes", "sns:GetSubscriptionAttributes", "sns:GetDataProtectionPolicy",
    "wafv2:Get*", "s3:GetBucket*", "s3:GetLifecycleConfiguration", "s3:GetEncryptionConfiguration",
    "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration", "secretsmanager:GetResourcePolicy",
)  # fmt: skip
PLAN_GETS_BY_ID: tuple[str, ...] = ("kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "iam:GetPolicy", "iam:GetPolicyVersion")
"""The plan role's reads of resources named by ids (the KMS keys) and of AWS managed policies, on any resource."""
PLAN_ROLE_READS: tuple[str, ...] = (
    "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags",
    "iam:ListInstanceProfilesForRole",
)  # fmt: skip
"""The plan role's reads of the project's roles."""
READ_SERVICES: tuple[str, ...] = (*DEPLOY_SCOPES, "acm")
"""Services whose Describe* and List* the deploy role may call on any resource: Terraform's refresh and the data
sources (the certificate lookup: acm)."""


def role_arn(config: EnvironmentConfig, kind: str) -> str:
    """The deploy or plan role's ARN (``kind`` "deploy" or "plan"): the one set, else the one wallet-roles makes."""
    given = config.deploy_role_arn if kind == "deploy" else config.plan_role_arn
    return given or f"arn:{config.partition}:iam::{config.account_id}:role{ROLE_PATH}wallet-service-{kind}-{config.environment}"


def boundary_arn(config: EnvironmentConfig) -> str:
    """The permissions boundary every role of the environment's stack carries, in account mode."""
    return f"arn:{config.partition}:iam::{config.account_id}:policy{ROLE_PATH}wallet-service-boundary-{config.environment}"


def state_key(environment: str) -> str:
    """The environment's key in the state bucket; the lock file is this key with ".tflock" appended."""
    return f"wallet-service/{environment}/terraform.tfstate"


Grant = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def state_grants(configs: Sequence[EnvironmentConfig]) -> list[Grant]:
    """What the state bucket's policy grants in account mode, as (sid, role ARNs, object actions, keys): each
    environment's deploy role reads and writes its state and lock file, its plan role reads its state (a plan takes no
    lock); [] without account_id."""
    grants: list[Grant] = []
    for config in configs:
        if config.account_id is None:
            continue
        key, name = state_key(config.environment), config.environment.capitalize()
        deploy, plan = (role_arn(config, "deploy"),), (role_arn(config, "plan"),)
        grants += [
            (f"Deploy{name}State", deploy, ("s3:GetObject", "s3:PutObject"), (key,)),
            (f"Deploy{name}Lock", deploy, ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), (f"{key}.tflock",)),
            (f"Plan{name}State", plan, ("s3:GetObject",), (key,)),
        ]
    return grants


def project_role_prefixes(environment: str) -> tuple[str, str]:
    """The name prefixes of the roles an environment's stack makes (task_iam, database, backup, traffic shift): the
    deploy role manages those roles alone, and no pipeline role may be named like them."""
    return f"wallet-service-{environment}-", f"wallet-service-migration-{environment}-"


def scoped_resources(config: EnvironmentConfig) -> list[str]:
    """DEPLOY_SCOPES' ARN patterns of the services named there, for ``config``'s account and environment."""
    names = {"p": config.partition, "a": str(config.account_id), "e": config.environment, "r": config.ecr_repository}
    return [pattern.format(**names) for patterns in DEPLOY_SCOPES.values() if patterns != ("*",) for pattern in patterns]


def read_actions() -> list[str]:
    """Describe* and List* of READ_SERVICES: Terraform's refresh and data sources."""
    return [action for service in READ_SERVICES for action in (f"{service}:Describe*", f"{service}:List*")]


def roles_stack_name(account: str) -> str:
    return ROLES_STACK_PREFIX + account


def check(config: EnvironmentConfig) -> None:
    """The account settings of one environment; a ConfigError naming the field, the value and what to do."""
    check_optional("account_id", config.account_id, ACCOUNT_ID, "expected a 12-digit AWS account id")
    check_optional("state_account_id", config.state_account_id, ACCOUNT_ID, "expected a 12-digit AWS account id")
    check_optional("github_repository", config.github_repository, GITHUB_REPOSITORY, "expected <owner>/<name>, e.g. 'acme/wallet-infra'")
    check_optional(
        "github_oidc_provider_arn", config.github_oidc_provider_arn, OIDC_PROVIDER_ARN,
        f"expected the ARN of the account's IAM OIDC provider for {GITHUB_OIDC_URL}",
    )  # fmt: skip
    for name in ("deploy_role_arn", "plan_role_arn"):
        check_optional(name, getattr(config, name), ROLE_ARN, "expected an IAM role ARN such as 'arn:aws:iam::123456789012:role/deploy'")
    for name in ("deploy_role_arn", "plan_role_arn", "github_oidc_provider_arn"):
        if (value := getattr(config, name)) is None:
            continue
        if config.account_id is None:
            fail(name, value, "it belongs to an environment's own account: set account_id too (docs/accounts.md)")
        if value.split(":")[4] != config.account_id:
            fail(name, value, f"expected one in the environment's account, account_id {config.account_id}")
    if config.account_id is None:
        return
    if config.allowed_account_ids not in ((), (config.account_id,)):
        fail(
            "allowed_account_ids", list(config.allowed_account_ids),
            f"with account_id it is that account alone ({config.account_id}): remove allowed_account_ids",
        )  # fmt: skip
    if config.state_account_id is None:
        fail("state_account_id", None, "expected the account of the state bucket (under 'wallet'), with account_id (docs/accounts.md)")
    # "Certificates in ACM are regional resources" of their account (docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).
    if config.certificate_arn is not None and config.certificate_arn.split(":")[4] != config.account_id:
        fail(
            "certificate_arn",
            config.certificate_arn,
            f"expected a certificate in the environment's account, account_id {config.account_id}",
        )


def check_all(configs: Sequence[EnvironmentConfig]) -> None:
    """The rules across environments: every environment in an account of its own or none; production never in an
    account with an environment of another tier; environments sharing an account agree on its OIDC provider."""
    with_account = [config.stack_name for config in configs if config.account_id is not None]
    for config in configs if not with_account else ():
        for name in ("state_account_id", "github_repository"):
            if (value := getattr(config, name)) is not None:
                fail(name, value, "it applies to environments in accounts of their own: set account_id too (docs/accounts.md)")
    if with_account and len(with_account) != len(configs):
        without = [config.stack_name for config in configs if config.account_id is None]
        raise ConfigError(
            f"account_id: set for {', '.join(with_account)} but not for {', '.join(without)}: give every environment its "
            "account, or none (the caller's credentials would pick the account of the others)"
        )
    _check_roles_apart(configs)
    for production in (config for config in configs if config.tier == "production" and config.account_id):
        for other in configs:
            if other.tier != "production" and other.account_id == production.account_id:
                fail(
                    "account_id", production.account_id,
                    f"{production.stack_name} ({production.tier}) shares it with {other.stack_name} ({other.tier}): production "
                    "needs an account of its own",
                )  # fmt: skip
    for account in accounts(configs):
        providers = {config.github_oidc_provider_arn for config in configs if config.account_id == account}
        if len(providers) > 1:
            sharing = ", ".join(config.stack_name for config in configs if config.account_id == account)
            raise ConfigError(
                f"github_oidc_provider_arn: {sharing} share account {account} but name different OIDC providers "
                f"({', '.join(sorted(str(p) for p in providers))}); an account holds one: set it once, under 'wallet' or in each"
            )


def _check_roles_apart(configs: Sequence[EnvironmentConfig]) -> None:
    """No role serves two environments or both kinds (the bucket policy would give one's state to the other, and
    wallet-roles would make one role twice), and no given role is one of the roles the stacks make (their deploy
    roles may change those)."""
    seen: dict[str, str] = {}
    for config in (c for c in configs if c.account_id is not None):
        for kind in ("deploy", "plan"):
            arn, where = role_arn(config, kind), f"{config.stack_name}: {kind}_role_arn"
            if arn in seen:
                raise ConfigError(f"{where}: {arn!r} is not valid; it is already {seen[arn]}: expected a role of its own")
            seen[arn] = where.replace(": ", "'s ")
            name = arn.rsplit("/", 1)[1]
            if any(name.startswith(project_role_prefixes(c.environment)) for c in configs):
                raise ConfigError(
                    f"{where}: {arn!r} is not valid; its name is one of the roles the stacks make (wallet-service-<env>-...), "
                    "which their deploy roles may change: expected another name"
                )


def accounts(configs: Sequence[EnvironmentConfig]) -> list[str]:
    """The environments' accounts, each once, in the table's order; [] without account_id."""
    return list(dict.fromkeys(config.account_id for config in configs if config.account_id is not None))
