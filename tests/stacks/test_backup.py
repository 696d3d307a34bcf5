"""Backups that survive the account and the Region: AWS Backup for production's database, literal values."""

from __future__ import annotations

import json
from typing import Any

from tests.expected import EXPECTED
from tests.helpers import data_sources, resources

DB_ARN = "${aws_db_instance.database_instance.arn}"


def test_only_production_has_the_backup_plan(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    expected = EXPECTED[env_stack].tier == "production"
    assert bool(resources(document, "aws_backup_plan")) == expected
    assert bool(resources(document, "aws_backup_vault")) == expected
    assert len(document["provider"]["aws"]) == (2 if expected else 1)


def test_daily_and_point_in_time_into_a_locked_vault_copied_to_us_west_2(parsed: dict[str, dict[str, Any]]) -> None:
    document = parsed["wallet-prod"]
    [plan] = resources(document, "aws_backup_plan").values()
    assert plan["name"] == "wallet-service-prod"
    assert plan["rule"] == [
        {
            "rule_name": "daily-and-point-in-time",
            "target_vault_name": "${aws_backup_vault.backup_vault.name}",
            "schedule": "cron(0 5 ? * * *)",
            "start_window": 60,
            "completion_window": 180,
            "enable_continuous_backup": True,
            "lifecycle": {"delete_after": 35},
            "copy_action": [{"destination_vault_arn": "${aws_backup_vault.backup_copy_vault.arn}", "lifecycle": {"delete_after": 35}}],
        }
    ]
    [selection] = resources(document, "aws_backup_selection").values()
    assert (selection["resources"], selection["iam_role_arn"], selection["plan_id"]) == (
        [DB_ARN],
        "${aws_iam_role.backup_role.arn}",
        "${aws_backup_plan.backup_plan.id}",
    )
    vaults = resources(document, "aws_backup_vault")
    assert vaults["backup_vault"]["name"] == "wallet-service-prod-vault"
    assert vaults["backup_vault"]["kms_key_arn"] == "${aws_kms_key.backup_vault_key_key.arn}"
    assert "provider" not in vaults["backup_vault"]
    assert vaults["backup_copy_vault"]["name"] == "wallet-service-prod-copy-vault"
    assert vaults["backup_copy_vault"]["kms_key_arn"] == "${aws_kms_key.backup_copy_vault_key_key.arn}"
    assert vaults["backup_copy_vault"]["provider"] == "aws.backup_copy"
    keys = resources(document, "aws_kms_key")
    assert keys["backup_copy_vault_key_key"]["provider"] == "aws.backup_copy"  # a key lives in one Region
    assert all(keys[name]["enable_key_rotation"] for name in ("backup_vault_key_key", "backup_copy_vault_key_key"))
    [copy_provider] = [p for p in document["provider"]["aws"] if p.get("alias") == "backup_copy"]
    assert copy_provider["region"] == "us-west-2"
    # Governance mode by default: no changeable_for_days (compliance mode would set it, and become immutable).
    locks = resources(document, "aws_backup_vault_lock_configuration")
    assert {name: (lock["backup_vault_name"], lock["min_retention_days"], lock["max_retention_days"], lock.get("changeable_for_days"), lock.get("provider")) for name, lock in locks.items()} == {
        "backup_vault_lock": ("${aws_backup_vault.backup_vault.name}", 35, 365, None, None),
        "backup_copy_vault_lock": ("${aws_backup_vault.backup_copy_vault.name}", 35, 365, None, "aws.backup_copy"),
    }  # fmt: skip
    assert all("lifecycle" not in lock for lock in locks.values())


def test_continuous_backup_owns_the_instances_backups(parsed: dict[str, dict[str, Any]]) -> None:
    """AWS Backup's continuous backup sets the instance's retention (equal here: 35 days) and window (ignored after
    creation), so prod's plan shows no difference that AWS Backup would put back."""
    db = resources(parsed["wallet-prod"], "aws_db_instance")["database_instance"]
    assert db["backup_retention_period"] == 35 and db["backup_window"] == "03:00-04:00"
    assert db["lifecycle"] == {"prevent_destroy": True, "ignore_changes": ["backup_window"]}
    staging = resources(parsed["wallet-staging"], "aws_db_instance")["database_instance"]
    assert "lifecycle" not in staging  # RDS's own backups: the window is Terraform's


def test_the_backup_role_is_aws_backups_for_this_account(parsed: dict[str, dict[str, Any]]) -> None:
    document = parsed["wallet-prod"]
    [trust] = data_sources(document, "aws_iam_policy_document")["backup_trust"]["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["backup.amazonaws.com"]}]
    assert "condition" not in trust  # AWS Backup documents no trust-policy condition for its service role
    attachment = resources(document, "aws_iam_role_policy_attachment")["backup_role_policy"]
    assert attachment["policy_arn"] == "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
    assert resources(document, "aws_iam_role")["backup_role"]["name"] == "wallet-service-prod-backup"


def test_failed_backups_and_copies_reach_the_alarm_topic(parsed: dict[str, dict[str, Any]]) -> None:
    document = parsed["wallet-prod"]
    rule = resources(document, "aws_cloudwatch_event_rule")["backup_failed"]
    assert rule["name"] == "wallet-service-prod-backup-failed"
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change", "Copy Job State Change"],
        "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]},
    }
    target = resources(document, "aws_cloudwatch_event_target")["alarms_backup_failed_target"]
    assert target["arn"] == "${aws_sns_topic.alarms_topic.arn}"
    assert json.loads(target["input_transformer"]["input_template"]) == (
        "wallet-service-prod: AWS Backup: <kind> <state> at <time>: <reason>"
    )
