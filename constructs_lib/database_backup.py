"""DatabaseBackup: AWS Backup of the database into a locked vault, copied to a second Region (and optionally another
account), with a rule for failed jobs that the alarms send on.

AWS Backup (docs.aws.amazon.com/aws-backup/latest/devguide/) keeps the recovery points apart from RDS's own automated
backups: a daily snapshot and continuous backup (point-in-time recovery, at most 35 days) in a vault encrypted with a
key of its own, under Vault Lock (docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html): governance mode can
be lifted by principals with backup:DeleteBackupVaultLockConfiguration; compliance mode becomes immutable after its
changeable_for_days (at least 3, AWS's cooling-off period) and then nobody can shorten a retention or delete a
recovery point early, not even the account's root user.

Restore testing (docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html), when asked for, proves the
recovery points on a schedule: AWS Backup restores the latest recovery point of the database into the private subnets, with a
security group that lets nothing in or out and no public access, keeps it for the validation window, then deletes it;
each restore job's end (completed or failed) is matched by ``restore_test_rule`` for the alarm topic.
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
from cdktf_cdktf_provider_aws.backup_restore_testing_plan import (
    BackupRestoreTestingPlan,
    BackupRestoreTestingPlanRecoveryPointSelection,
)
from cdktf_cdktf_provider_aws.backup_restore_testing_selection import BackupRestoreTestingSelection
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.backup_vault_lock_configuration import BackupVaultLockConfiguration
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTargetInputTransformer
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from constructs_lib.encryption_key import EncryptionKey, EncryptionKeyProps
from constructs_lib.task_iam import service_trust

COMPLIANCE_COOLING_OFF_DAYS = 3
"""Compliance mode: days before the lock becomes immutable (AWS's minimum, a 72-hour cooling-off period)."""
DAILY_AT_05_UTC = "cron(0 5 ? * * *)"  # after RDS's own backup window (03:00-04:00)
RESTORE_TEST_START_WINDOW_HOURS = 1
"""A restore test starts within an hour of its schedule (AWS's default is 24)."""
RESTORE_TEST_SELECTION_DAYS = 7
"""A restore test takes the latest recovery point of the last 7 days (the continuous one, updated all day)."""


@dataclass(frozen=True, kw_only=True)
class RestoreTestingProps:
    """Restore tests of the database's recovery points (AWS Backup restore testing)."""

    schedule_expression: str
    """When a restore test starts: an AWS Backup cron expression in UTC, e.g. ``cron(0 7 ? * MON *)``."""
    validation_window_hours: int
    """Hours AWS Backup keeps the restored instance before it deletes it; 1-168."""
    db_instance_class: str
    """The restored instance's class (restore metadata dbInstanceClass)."""
    vpc_id: str
    subnet_group_name: str
    """The DB subnet group the instance is restored into (the database's own: private subnets)."""


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
    """A vault in another account (in this Region: RDS copies across accounts or Regions, not both) that also gets
    every recovery point; the resources' key must let that account use it (EncryptionKey's snapshot_copy_grants).
    Default: none."""
    restore_testing: RestoreTestingProps | None = None
    """Restore tests of the recovery points in the vault. Default: none."""


class DatabaseBackup(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: DatabaseBackupProps) -> None:
        super().__init__(scope, id_)
        vault = self._locked_vault("vault", props, provider=None)
        destinations = [self._locked_vault("copy_vault", props, provider=props.copy_provider).arn] if props.copy_provider else []
        destinations += [props.copy_vault_arn] if props.copy_vault_arn else []
        # AWS's policy for the role AWS Backup uses to take and copy backups; maintained by AWS as the service's needs
        # change (e.g. for continuous backup). The role is trusted only by AWS Backup for this account, and the plan
        # below selects only the database.
        role = self._service_role(
            "role", trust_id="trust", name=f"{props.name}-backup", managed_policy="AWSBackupServiceRolePolicyForBackup", props=props
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
        self.restore_tests: tuple[CloudwatchEventRule, CloudwatchEventTargetInputTransformer] | None = (
            self._restore_testing(props, props.restore_testing, vault) if props.restore_testing else None
        )
        """The rule matching each restore test's end and its message (the alarms send it to their topic)."""
        self.vault_name: str = vault.name
        self.plan_id: str = plan.id

    def _service_role(self, id_: str, *, trust_id: str, name: str, managed_policy: str, props: DatabaseBackupProps) -> IamRole:
        """A role AWS Backup assumes, with the AWS managed service-role policy ``managed_policy`` attached (the
        attachment's construct id: ``<id_>_policy``)."""
        role = IamRole(
            self,
            id_,
            name=name,
            # AWS Backup documents its confused-deputy keys for resource policies (vault access, SNS, KMS), not for the
            # trust of its service role (docs.aws.amazon.com/aws-backup/latest/devguide/cross-service-confused-deputy-
            # prevention.html; iam-service-roles.html asks only for backup.amazonaws.com as trusted entity): no
            # aws:SourceAccount here, which AWS Backup might not send and every backup job would then fail.
            assume_role_policy=service_trust(self, trust_id, service="backup.amazonaws.com", account_id=None).json,
        )
        IamRolePolicyAttachment(
            self, f"{id_}_policy", role=role.name, policy_arn=f"arn:{props.partition}:iam::aws:policy/service-role/{managed_policy}"
        )
        return role

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

    def _restore_testing(
        self, props: DatabaseBackupProps, testing: RestoreTestingProps, vault: BackupVault
    ) -> tuple[CloudwatchEventRule, CloudwatchEventTargetInputTransformer]:
        """The plan (when, which recovery point), the selection (the database, how it is restored, for how long), the
        role AWS Backup restores with, the security group of the restored instance, and the rule for the results."""
        # Plan and selection names: letters, numbers and underscores only (API_RestoreTestingPlanForCreate.html,
        # API_RestoreTestingSelectionForCreate.html).
        plan_name = f"{props.name.replace('-', '_')}_restore_test"
        plan = BackupRestoreTestingPlan(
            self,
            "restore_testing_plan",
            name=plan_name,
            schedule_expression=testing.schedule_expression,
            schedule_expression_timezone="Etc/UTC",
            start_window_hours=RESTORE_TEST_START_WINDOW_HOURS,
            recovery_point_selection=[
                BackupRestoreTestingPlanRecoveryPointSelection(
                    algorithm="LATEST_WITHIN_WINDOW",
                    include_vaults=[vault.arn],
                    # The plan's rule has continuous backup: one continuous recovery point that AWS Backup keeps
                    # updating (docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html); snapshots
                    # are taken for a copy and not kept in this vault. Either kind qualifies, the latest is restored.
                    recovery_point_types=["CONTINUOUS", "SNAPSHOT"],
                    selection_window_days=RESTORE_TEST_SELECTION_DAYS,
                )
            ],
        )
        # Nothing in, nothing out: the restored copy holds production data and is only created, checked by AWS Backup
        # and deleted (the provider removes the default egress rule AWS adds to a new group).
        isolated = SecurityGroup(
            self,
            "restore_test_security_group",
            name=f"{props.name}-restore-test",
            description=f"Restore tests of {props.name}: no ingress, no egress",
            vpc_id=testing.vpc_id,
        )
        # The role of a restore testing selection "must contain the permissions found in
        # AWSBackupServiceRolePolicyForRestores" (docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html):
        # AWS's policy, which creates and deletes the restored instance; the database key's policy delegates to IAM,
        # and the policy's kms:CreateGrant (for AWS resources) lets RDS use the key of the encrypted snapshot.
        role = self._service_role(
            "restore_role",
            trust_id="restore_trust",
            name=f"{props.name}-restore-test",
            managed_policy="AWSBackupServiceRolePolicyForRestores",
            props=props,
        )
        BackupRestoreTestingSelection(
            self,
            "restore_testing_selection",
            name=f"{props.name.replace('-', '_')}_database",
            restore_testing_plan_name=plan.name,
            protected_resource_type="RDS",
            protected_resource_arns=list(props.resource_arns),
            iam_role_arn=role.arn,
            validation_window_hours=testing.validation_window_hours,
            # Overridable keys of "Amazon RDS instances" (docs.aws.amazon.com/aws-backup/latest/devguide/
            # restore-testing-inferred-metadata.html). Set rather than inferred: AWS Backup would infer the default VPC
            # and subnets, which may not exist ("the restore will not be successful"), and would give the copy the
            # VPC's default security group; publiclyAccessible and multiAz are what AWS infers, stated. A list value is
            # a JSON array in a string, as the page's example writes vpcSecurityGroupIds.
            restore_metadata_overrides={
                "dbSubnetGroupName": testing.subnet_group_name,
                "vpcSecurityGroupIds": f'["{isolated.id}"]',
                "dbInstanceClass": testing.db_instance_class,
                "publiclyAccessible": "false",
                "multiAz": "false",
            },
        )
        # A restore job of a restore testing plan carries the plan's ARN in detail.restoreTestingPlanArn ("if your restore
        # job is part of a restore testing plan, the parameter restoreTestingPlanArn is included": docs.aws.amazon.com/
        # aws-backup/latest/devguide/eventbridge.html, "Restore Job events"; restore-testing-validation.html filters on
        # the same field; DescribeRestoreJob's CreatedBy.RestoreTestingPlanArn is the API's shape, not the event's), and
        # its status in "status": PENDING, RUNNING, then COMPLETED, ABORTED or FAILED. Only this plan's: an account may
        # hold others. Tested against AWS's example events (tests/backup_events.py).
        rule = CloudwatchEventRule(
            self,
            "restore_tested",
            name=f"{props.name}-restore-test",
            description="An AWS Backup restore test of the database completed or failed",
            event_pattern=json.dumps(
                {
                    "source": ["aws.backup"],
                    "detail-type": ["Restore Job State Change"],
                    "detail": {"status": ["COMPLETED", "FAILED", "ABORTED"], "restoreTestingPlanArn": [plan.arn]},
                }
            ),
        )
        message = CloudwatchEventTargetInputTransformer(
            input_paths={"status": "$.detail.status", "reason": "$.detail.statusMessage", "job": "$.detail.restoreJobId", "time": "$.time"},
            input_template=json.dumps(f"{props.name}: AWS Backup restore test <job> <status> at <time>: <reason>"),
        )
        return rule, message

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
