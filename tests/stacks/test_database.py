"""The database in every environment: sizes, data protection, access, credentials, replacement guard."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup

from tests.conftest import ENV_STACKS
from tests.expected import EXPECTED
from tests.helpers import walk


def db_instance(parsed: dict[str, dict[str, Any]], stack: str) -> dict[str, Any]:
    return dict(parsed[stack]["resource"]["aws_db_instance"]["database_instance"])


def test_size_and_engine_follow_the_environment(synthesized: dict[str, str], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[env_stack],
        DbInstance.TF_RESOURCE_TYPE,
        {
            "identifier": f"wallet-service-{c.environment}",
            "engine": "postgres",
            "engine_version": "17",
            "auto_minor_version_upgrade": True,
            "instance_class": c.db_class,
            "allocated_storage": c.storage,
            "storage_type": "gp3",
            "storage_encrypted": True,
            "multi_az": c.multi_az,
            "backup_retention_period": c.backup_days,
            "publicly_accessible": False,
            "manage_master_user_password": True,
            "username": "wallet_admin",
            "iam_database_authentication_enabled": True,
            "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"],
            "monitoring_interval": 60,
            "copy_tags_to_snapshot": True,
        },
    )


def test_storage_autoscaling_ceiling(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    assert db_instance(parsed, env_stack).get("max_allocated_storage") == EXPECTED[env_stack].max_storage


def test_data_protection_per_environment(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    db = db_instance(parsed, env_stack)
    assert (db["deletion_protection"], db["skip_final_snapshot"], db["delete_automated_backups"]) == (
        c.protected,
        not c.protected,
        not c.protected,
    )
    assert db.get("final_snapshot_identifier") == (
        "wallet-service-" + c.environment + "-final-${terraform_data.database_lifetime.id}" if c.protected else None
    )
    assert db["apply_immediately"] is c.db_at_once
    assert db.get("lifecycle", {}).get("prevent_destroy", False) == c.prevent_destroy
    assert (db["multi_az"], db["backup_retention_period"]) == (c.multi_az, c.backup_days)


def test_subnet_group_is_the_private_subnets(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    group = parsed[env_stack]["resource"]["aws_db_subnet_group"]["database_subnet_group"]
    assert group["subnet_ids"] == "${data.aws_subnets.network_private_subnets.ids}"
    assert db_instance(parsed, env_stack)["db_subnet_group_name"] == "${aws_db_subnet_group.database_subnet_group.name}"


KEY = "${aws_kms_key.database_key_key.arn}"


def test_database_insights_standard_encrypted_with_the_database_key(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """RDS for PostgreSQL has no instance class restriction for Database Insights (AWS's table lists the micro and
    small burstable classes for MySQL and MariaDB only), so every environment has it: standard mode, 7 days."""
    db = db_instance(parsed, env_stack)
    insights = (
        "performance_insights_enabled",
        "performance_insights_kms_key_id",
        "performance_insights_retention_period",
        "database_insights_mode",
    )
    assert {name: db.get(name) for name in insights} == dict(zip(insights, (True, KEY, 7, "standard"), strict=True))


def test_storage_secret_and_certificate_authority_are_pinned(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    db = db_instance(parsed, env_stack)
    assert (db["kms_key_id"], db["master_user_secret_kms_key_id"], db["ca_cert_identifier"]) == (KEY, KEY, "rds-ca-rsa2048-g1")
    key = parsed[env_stack]["resource"]["aws_kms_key"]["database_key_key"]
    assert (key["enable_key_rotation"], key["deletion_window_in_days"]) == (True, 30)


# The attributes whose change makes the AWS provider replace the instance: a new empty database.
# A change here must be deliberate (and come with a data migration plan), so it fails this test.
REPLACEMENT_ATTRIBUTES = (
    "identifier",
    "engine",
    "storage_encrypted",
    "kms_key_id",
    "db_name",
    "username",
    "availability_zone",
    "character_set_name",
    "nchar_character_set_name",
    "timezone",
    "snapshot_identifier",
    "replicate_source_db",
)


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_replacement_guard(parsed: dict[str, dict[str, Any]], stack: str) -> None:
    db = db_instance(parsed, stack)
    pinned = {name: db.get(name) for name in REPLACEMENT_ATTRIBUTES}
    assert pinned == {
        "identifier": f"wallet-service-{EXPECTED[stack].environment}",
        "engine": "postgres",
        "storage_encrypted": True,
        # The environment's database key: on an instance created with the AWS-managed key this replaces the
        # instance (prevent_destroy and deletion protection stop it; docs/database.md#keys).
        "kms_key_id": "${aws_kms_key.database_key_key.arn}",
        "db_name": "wallet",
        "username": "wallet_admin",
        "availability_zone": None,
        "character_set_name": None,
        "nchar_character_set_name": None,
        "timezone": None,
        "snapshot_identifier": None,
        "replicate_source_db": None,
    }


def test_major_version_upgrades_are_refused_unless_asked_for(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    db = db_instance(parsed, env_stack)
    assert (db["allow_major_version_upgrade"], db["auto_minor_version_upgrade"]) == (False, True)
    [group] = parsed[env_stack]["resource"]["aws_db_parameter_group"].values()
    assert "name" not in group


def test_parameter_group_forces_tls_and_logs(synthesized: dict[str, str], env_stack: str) -> None:
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[env_stack],
        DbParameterGroup.TF_RESOURCE_TYPE,
        {
            "family": "postgres17",
            # A name prefix: a new family's group is created before the old one goes (create_before_destroy).
            "name_prefix": f"wallet-service-{EXPECTED[env_stack].environment}-postgres17-",
            "lifecycle": {"create_before_destroy": True},
            "parameter": [
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": "1000"},
                {"name": "log_connections", "value": "1"},
                {"name": "log_disconnections", "value": "1"},
            ],
        },
    )


def test_only_postgres_from_granted_groups_reaches_the_database(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    resources = parsed[env_stack]["resource"]
    db_group = "${aws_security_group.database_security_group.id}"
    assert db_instance(parsed, env_stack)["vpc_security_group_ids"] == [db_group]
    group = resources["aws_security_group"]["database_security_group"]
    assert "ingress" not in group and "egress" not in group  # no inline rules; Terraform adds no default egress
    ingress = [rule for rule in resources.get("aws_vpc_security_group_ingress_rule", {}).values() if rule["security_group_id"] == db_group]
    for rule in ingress:
        assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 5432, 5432)
        assert rule["referenced_security_group_id"].startswith("${aws_security_group.")
        assert "cidr_ipv4" not in rule and "cidr_ipv6" not in rule and "prefix_list_id" not in rule
        assert rule["description"]


def test_no_password_or_secret_value_in_the_output(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    pairs = list(walk(document))
    assert not {key for key, _ in pairs} & {"password", "master_password", "password_wo", "secret_string", "secret_binary"}
    references = [value for _, value in pairs if isinstance(value, str) and "master_user_secret" in value]
    assert references  # the service, the migration task and the output use the secret...
    assert all(re.fullmatch(r"(.*master_user_secret\[0\]\.secret_arn\}[^$]*)+", value, re.DOTALL) for value in references)  # ...by ARN only
    assert document["output"]["db_secret_arn"]["value"] == "${aws_db_instance.database_instance.master_user_secret[0].secret_arn}"
    assert document["output"]["db_endpoint"]["value"] == "${aws_db_instance.database_instance.endpoint}"


def test_exported_logs_expire(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    c = EXPECTED[env_stack]
    groups = parsed[env_stack]["resource"]["aws_cloudwatch_log_group"]
    for kind in ("postgresql", "upgrade"):
        group = groups[f"database_{kind}_logs"]
        assert (group["name"], group["retention_in_days"]) == (
            f"/aws/rds/instance/wallet-service-{c.environment}/{kind}",
            c.log_days,
        )
