"""Backups that survive the account and the Region: AWS Backup for production's database, literal values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import backup_events
from tests.expected import EXPECTED
from tests.helpers import data_sources, resources, synth_environment

DB_ARN = "${aws_db_instance.database_instance.arn}"


def test_only_production_has_the_backup_plan(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    expected = EXPECTED[env_stack].tier == "production"
    assert bool(resources(document, "aws_backup_plan")) == expected
    assert bool(resources(document, "aws_backup_vault")) == expected
    assert bool(resources(document, "aws_backup_restore_testing_plan")) == expected
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


def test_production_restores_its_latest_recovery_point_every_monday(parsed: dict[str, dict[str, Any]]) -> None:
    """Weekly, the latest recovery point in the vault (continuous backup keeps one, updated all day) is restored into the database's private subnets, on a small class,
    unreachable (no public access, a security group without rules), kept 4 hours and deleted by AWS Backup."""
    document = parsed["wallet-prod"]
    [plan] = resources(document, "aws_backup_restore_testing_plan").values()
    assert {key: value for key, value in plan.items() if key != "//"} == {
        "name": "wallet_service_prod_restore_test",
        "schedule_expression": "cron(0 7 ? * MON *)",
        "schedule_expression_timezone": "Etc/UTC",
        "start_window_hours": 1,
        "recovery_point_selection": [
            {
                "algorithm": "LATEST_WITHIN_WINDOW",
                "include_vaults": ["${aws_backup_vault.backup_vault.arn}"],
                "recovery_point_types": ["CONTINUOUS", "SNAPSHOT"],
                "selection_window_days": 7,
            }
        ],
    }
    [selection] = resources(document, "aws_backup_restore_testing_selection").values()
    assert {key: value for key, value in selection.items() if key != "//"} == {
        "name": "wallet_service_prod_database",
        "restore_testing_plan_name": "${aws_backup_restore_testing_plan.backup_restore_testing_plan.name}",
        "protected_resource_type": "RDS",
        "protected_resource_arns": [DB_ARN],
        "iam_role_arn": "${aws_iam_role.backup_restore_role.arn}",
        "validation_window_hours": 4,
        "restore_metadata_overrides": {
            "dbSubnetGroupName": "${aws_db_subnet_group.database_subnet_group.name}",
            "vpcSecurityGroupIds": '["${aws_security_group.backup_restore_test_security_group.id}"]',
            "dbInstanceClass": "db.t4g.micro",
            "publiclyAccessible": "false",
            "multiAz": "false",
        },
    }
    isolated = resources(document, "aws_security_group")["backup_restore_test_security_group"]
    assert (isolated["name"], isolated["vpc_id"]) == ("wallet-service-prod-restore-test", "${data.aws_vpc.network_vpc.id}")
    assert "ingress" not in isolated and "egress" not in isolated
    rules = [r for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule")
             for r in resources(document, kind).values()]  # fmt: skip
    assert not [r for r in rules if "backup_restore_test_security_group" in json.dumps(r)]
    [trust] = data_sources(document, "aws_iam_policy_document")["backup_restore_trust"]["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["backup.amazonaws.com"]}]
    assert resources(document, "aws_iam_role")["backup_restore_role"]["name"] == "wallet-service-prod-restore-test"
    attachment = resources(document, "aws_iam_role_policy_attachment")["backup_restore_role_policy"]
    assert attachment["policy_arn"] == "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"


def test_each_restore_test_result_reaches_the_alarm_topic(parsed: dict[str, dict[str, Any]]) -> None:
    document = parsed["wallet-prod"]
    rule = resources(document, "aws_cloudwatch_event_rule")["backup_restore_tested"]
    assert rule["name"] == "wallet-service-prod-restore-test"  # within the topic policy's wallet-service-prod-* rules
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Restore Job State Change"],
        "detail": {
            "status": ["COMPLETED", "FAILED", "ABORTED"],
            "restoreTestingPlanArn": ["${aws_backup_restore_testing_plan.backup_restore_testing_plan.arn}"],
        },
    }
    target = resources(document, "aws_cloudwatch_event_target")["alarms_restore_tested_target"]
    assert (target["rule"], target["arn"]) == (
        "${aws_cloudwatch_event_rule.backup_restore_tested.name}",
        "${aws_sns_topic.alarms_topic.arn}",
    )
    assert target["input_transformer"]["input_paths"] == {
        "status": "$.detail.status", "reason": "$.detail.statusMessage", "job": "$.detail.restoreJobId", "time": "$.time",
    }  # fmt: skip
    assert json.loads(target["input_transformer"]["input_template"]) == (
        "wallet-service-prod: AWS Backup restore test <job> <status> at <time>: <reason>"
    )


def test_the_restore_test_rule_matches_aws_example_events_of_its_plan_only(parsed: dict[str, dict[str, Any]]) -> None:
    """The synthesized pattern, its plan's ARN written in, against AWS's example events (tests/backup_events.py) with
    moto's matcher, offline; tests/test_emulated_account.py asks the emulated account's TestEventPattern with the
    deployed rule."""
    from moto.events.models import EventPattern

    plan = "arn:aws:backup:us-east-1:123456789012:restore-testing-plan:wallet_service_prod_restore_test-0b6f1c2e-9d3a"
    raw = resources(parsed["wallet-prod"], "aws_cloudwatch_event_rule")["backup_restore_tested"]["event_pattern"].replace(
        "${aws_backup_restore_testing_plan.backup_restore_testing_plan.arn}", plan
    )
    pattern = EventPattern(raw, json.loads(raw))

    def matches(event: dict[str, Any]) -> bool:
        return bool(pattern.matches_event(event))  # type: ignore[arg-type]  # moto's TypedDict of an event: a dict

    assert matches(backup_events.of_restore_test(backup_events.COMPLETED, plan))
    assert matches(backup_events.of_restore_test(backup_events.FAILED, plan))
    assert not matches(backup_events.of_restore_test(backup_events.RUNNING, plan))
    assert not matches(backup_events.of_restore_test(backup_events.COMPLETED, backup_events.OTHER_PLAN))
    assert not matches(backup_events.COMPLETED)  # a restore outside any restore testing plan


RESTORE_TEST_SETTINGS = {
    "aws_backup": True,
    "db_backup_retention_days": 35,
    "restore_testing": True,
    "restore_testing_schedule": "cron(30 2 1 * ? *)",
    "restore_testing_validation_hours": 12,
    "restore_testing_db_instance_class": "db.t3.micro",
}


@pytest.fixture(scope="module")
def staging_with_restore_tests() -> dict[str, Any]:
    """wallet-staging with AWS Backup and restore tests on, every restore test setting not its default."""
    return synth_environment("wallet-staging", RESTORE_TEST_SETTINGS)


def test_restore_test_settings_reach_the_plan_and_selection(staging_with_restore_tests: dict[str, Any]) -> None:
    [plan] = resources(staging_with_restore_tests, "aws_backup_restore_testing_plan").values()
    assert (plan["name"], plan["schedule_expression"]) == ("wallet_service_staging_restore_test", "cron(30 2 1 * ? *)")
    [selection] = resources(staging_with_restore_tests, "aws_backup_restore_testing_selection").values()
    assert selection["validation_window_hours"] == 12
    assert selection["restore_metadata_overrides"]["dbInstanceClass"] == "db.t3.micro"
    assert "alarms_restore_tested_target" in resources(staging_with_restore_tests, "aws_cloudwatch_event_target")


COPY_VAULT = "arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies"


def database_key_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(data_sources(document, "aws_iam_policy_document")["database_key_policy"]["statement"])


def test_a_copy_into_another_account_lets_exactly_that_account_use_the_database_key() -> None:
    """RDS's "Allowing access to an AWS KMS key" (share-encrypted-snapshot.html), for the copy vault's account alone:
    the key's use, and grants for AWS resources only. The account's own statement stays first."""
    document = synth_environment(
        "wallet-staging", {"aws_backup": True, "db_backup_retention_days": 35, "backup_copy_vault_arn": COPY_VAULT}
    )
    [plan] = resources(document, "aws_backup_plan").values()
    assert [action["destination_vault_arn"] for action in plan["rule"][0]["copy_action"]] == [COPY_VAULT]
    account, use, grants = database_key_statements(document)
    assert account["sid"] == "AccountAdministers"
    assert use == {
        "sid": "CopyAccountUsesKey",
        "actions": ["kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "resources": ["*"],
        "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::210987654321:root"]}],
    }
    assert grants == {
        "sid": "CopyAccountGrantsForAwsResources",
        "actions": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        "resources": ["*"],
        "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::210987654321:root"]}],
        "condition": [{"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]}],
    }
    [instance] = resources(document, "aws_db_instance").values()
    assert instance["kms_key_id"] == "${aws_kms_key.database_key_key.arn}"  # the snapshots are under this key


def test_without_a_copy_account_the_database_key_names_no_other_account() -> None:
    document = synth_environment("wallet-staging", {"aws_backup": True, "db_backup_retention_days": 35})
    [account] = database_key_statements(document)
    assert account["principals"] == [{"type": "AWS", "identifiers": ["arn:aws:iam::${data.aws_caller_identity.account.account_id}:root"]}]
