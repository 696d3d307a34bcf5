"""DatabaseBackup: AWS Backup of the database into a locked vault, copied to a second Region (and optionally another
account), with a rule for failed jobs that the alarms send on.

AWS Backup (docs.aws.amazon.com/aws-backup/latest/devguide/) keeps the recovery points apart from RDS's own automated
backups: a daily snapshot and continuous backup (point-in-time recovery, at most 35 days) in a vault encrypted with a
key of its own, under Vault Lock (docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html): governance mode can
be lifted by principals with backup:DeleteBackupVaultLockConfiguration; compliance mode becomes immutable after its
changeable_for_days (at least 3, AWS's cooling-off period) and then nobody can shorten a retention or delete a
recovery point early, not even the account's root user.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan,
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.backup_vault_lock_configuration import BackupVaultLockConfiguration
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTargetInputTransformer
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from constructs_lib.encryption_key import EncryptionKey, EncryptionKeyProps
from constructs_lib.task_iam import service_trust

COMPLIANCE_COOLING_OFF_DAYS = 3
"""Compliance mode: days before the lock becomes immutable (AWS's minimum, a 72-hour cooling-off period)."""
DAILY_AT_05_UTC = "cron(0 5 ? * * *)"  # after RDS's own backup window (03:00-04:00)


@dataclass(frozen=True, kw_only=True)
class DatabaseBackupProps:
    name: str
    """Names the vaults, keys' aliases, plan, role and rule."""
    account_id: str
    partition: str
    resource_arns: Sequence[str]
    """What the plan backs up (the database instance)."""
    retention_days: int
    """Days each recovery point and copy is kept; between the lock's bounds."""
    lock_min_days: int
    """The vault locks' bounds on any recovery point's retention, in days: independent of retention_days, so that a
    change of it does not replace the locks (every argument of a lock configuration forces a replacement)."""
    lock_max_days: int
    lock_mode: Literal["governance", "compliance"]
    copy_provider: TerraformProvider | None = None
    """The AWS provider of the Region that gets a copy of every recovery point. Default: no such copy."""
    copy_vault_arn: str | None = None
    """A vault in another account that also gets every recovery point. Default: none."""


class DatabaseBackup(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: DatabaseBackupProps) -> None:
        super().__init__(scope, id_)
        vault = self._locked_vault("vault", props, provider=None)
        destinations = [self._locked_vault("copy_vault", props, provider=props.copy_provider).arn] if props.copy_provider else []
        destinations += [props.copy_vault_arn] if props.copy_vault_arn else []
        role = IamRole(
            self,
            "role",
            name=f"{props.name}-backup",
            # AWS Backup documents its confused-deputy keys for resource policies (vault access, SNS, KMS), not for the
            # trust of its service role (docs.aws.amazon.com/aws-backup/latest/devguide/cross-service-confused-deputy-
            # prevention.html; iam-service-roles.html asks only for backup.amazonaws.com as trusted entity): no
            # aws:SourceAccount here, which AWS Backup might not send and every backup job would then fail.
            assume_role_policy=service_trust(self, "trust", service="backup.amazonaws.com", account_id=None).json,
        )
        # AWS's policy for the role AWS Backup uses to take and copy backups; maintained by AWS as the service's needs
        # change (e.g. for continuous backup). The role is trusted only by AWS Backup for this account, and the plan
        # below selects only the database.
        IamRolePolicyAttachment(
            self,
            "role_policy",
            role=role.name,
            policy_arn=f"arn:{props.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        )
        keep = BackupPlanRuleLifecycle(delete_after=props.retention_days)
        plan = BackupPlan(
            self,
            "plan",
            name=props.name,
            rule=[
                BackupPlanRule(
                    rule_name="daily-and-point-in-time",
                    target_vault_name=vault.name,
                    schedule=DAILY_AT_05_UTC,
                    start_window=60,
                    completion_window=180,
                    enable_continuous_backup=True,
                    lifecycle=keep,
                    copy_action=[
                        BackupPlanRuleCopyAction(
                            destination_vault_arn=arn, lifecycle=BackupPlanRuleCopyActionLifecycle(delete_after=props.retention_days)
                        )
                        for arn in destinations
                    ]
                    or None,
                )
            ],
        )
        BackupSelection(self, "selection", name=props.name, plan_id=plan.id, iam_role_arn=role.arn, resources=list(props.resource_arns))
        self._failures(props)
        self.vault_name: str = vault.name
        self.plan_id: str = plan.id

    def _locked_vault(self, id_: str, props: DatabaseBackupProps, *, provider: TerraformProvider | None) -> BackupVault:
        """A vault encrypted with a key of its own (in the vault's Region), under Vault Lock."""
        key = EncryptionKey(
            self,
            f"{id_}_key",
            props=EncryptionKeyProps(
                alias=f"{props.name}-{id_.replace('_', '-')}",
                description=f"Encrypts the {props.name} backup vault {id_}",
                account_id=props.account_id,
                partition=props.partition,
                # AWS Backup uses the key through grants made with its role's permissions (docs.aws.amazon.com/
                # aws-backup/latest/devguide/encryption.html); the account statement delegates those to IAM.
                grants=[],
                provider=provider,
            ),
        )
        vault = BackupVault(self, id_, name=f"{props.name}-{id_.replace('_', '-')}", kms_key_arn=key.arn, provider=provider)
        # Every argument replaces the lock (delete, then put). Past a compliance lock's cooling-off AWS refuses the
        # delete (docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVaultLockConfiguration.html), so such a
        # replacement fails before anything changes. No prevent_destroy here: it would also stop the one replacement
        # that must work, governance to compliance (Terraform applies the new configuration's prevent_destroy).
        BackupVaultLockConfiguration(
            self,
            f"{id_}_lock",
            backup_vault_name=vault.name,
            min_retention_days=props.lock_min_days,
            max_retention_days=props.lock_max_days,
            # Omitted: governance mode. Set: compliance mode, immutable after this many days.
            changeable_for_days=COMPLIANCE_COOLING_OFF_DAYS if props.lock_mode == "compliance" else None,
            provider=provider,
        )
        return vault

    def _failures(self, props: DatabaseBackupProps) -> None:
        """Failed, aborted or expired backup and copy jobs of this account and Region: ``failure_rule`` matches them,
        ``failure_message`` says it (the alarms send it to their topic)."""
        self.failure_rule = CloudwatchEventRule(
            self,
            "failed",
            name=f"{props.name}-backup-failed",
            description="An AWS Backup backup or copy job failed, was aborted or expired",
            event_pattern=json.dumps(
                {
                    "source": ["aws.backup"],
                    "detail-type": ["Backup Job State Change", "Copy Job State Change"],
                    "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]},
                }
            ),
        )
        self.failure_message = CloudwatchEventTargetInputTransformer(
            input_paths={"kind": "$.detail-type", "state": "$.detail.state", "reason": "$.detail.statusMessage", "time": "$.time"},
            input_template=json.dumps(f"{props.name}: AWS Backup: <kind> <state> at <time>: <reason>"),
        )
