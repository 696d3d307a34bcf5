"""Database in a bare stack: its defaults, its options, and the ingress it grants."""

from __future__ import annotations

import json
from typing import Any

from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from constructs_lib.database import INSIGHTS_UNSUPPORTED_CLASSES, Database, DatabaseProps


def synth(**overrides: Any) -> str:
    stack = TerraformStack(CdktfTesting.app(), "test")
    props: dict[str, Any] = {
        "identifier": "example",
        "vpc_id": "vpc-12345678",
        "subnet_ids": ["subnet-12345678", "subnet-87654321"],
        "instance_class": "db.r6g.large",
        "allocated_storage": 20,
        "max_allocated_storage": 20,
        "backup_retention_days": 7,
    }
    database = Database(stack, "database", props=DatabaseProps(**{**props, **overrides}))
    database.allow_from("service", security_group_id="sg-0123456789abcdef0", description="From the service")
    return CdktfTesting.synth(stack)


def instance(text: str) -> dict[str, Any]:
    [found] = json.loads(text)["resource"][DbInstance.TF_RESOURCE_TYPE].values()
    return dict(found)


def test_defaults_are_the_safe_ones() -> None:
    text = synth()
    assert CdktfTesting.to_have_resource_with_properties(
        text,
        DbInstance.TF_RESOURCE_TYPE,
        {
            "engine": "postgres",
            "engine_version": "17",
            "deletion_protection": True,
            "skip_final_snapshot": False,
            "final_snapshot_identifier": "example-final-${terraform_data.database_lifetime_CB5877EC.id}",
            "apply_immediately": True,
            "delete_automated_backups": False,
            "multi_az": False,
            "performance_insights_enabled": True,
            "publicly_accessible": False,
            "storage_encrypted": True,
        },
    )
    assert "max_allocated_storage" not in instance(text)  # equal to allocated: no autoscaling
    assert "lifecycle" not in instance(text)


def test_each_lifetime_of_the_instance_names_its_own_final_snapshot() -> None:
    """A second destroy must not meet the first one's final snapshot (DBSnapshotAlreadyExists): the name carries the
    id of a terraform_data replaced with the instance (a new identifier or storage key), kept while it lives."""
    resources = json.loads(synth(storage_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/abcd"))["resource"]
    [(address, lifetime)] = resources["terraform_data"].items()
    assert instance(json.dumps({"resource": resources}))["final_snapshot_identifier"] == f"example-final-${{terraform_data.{address}.id}}"
    assert lifetime["triggers_replace"] == {"identifier": "example", "storage_kms_key": "arn:aws:kms:us-east-1:123456789012:key/abcd"}
    [default_key] = json.loads(synth())["resource"]["terraform_data"].values()
    assert default_key["triggers_replace"]["storage_kms_key"] == "aws/rds"


def test_changes_wait_for_the_window_only_when_asked_but_a_major_upgrade_never_waits() -> None:
    assert instance(synth(apply_immediately=False))["apply_immediately"] is False
    assert instance(synth(apply_immediately=False, allow_major_version_upgrade=True))["apply_immediately"] is True


def test_unprotected_instance_skips_the_final_snapshot() -> None:
    text = synth(protected=False, instance_class="db.t3.micro")
    found = instance(text)
    assert (found["deletion_protection"], found["skip_final_snapshot"], found["delete_automated_backups"]) == (False, True, True)
    assert "final_snapshot_identifier" not in found
    assert "terraform_data" not in json.loads(text)["resource"]
    assert found["performance_insights_enabled"] is True  # RDS for PostgreSQL: Database Insights on every class


def test_insights_table_follows_aws_per_engine() -> None:
    """The one place for the rule: AWS's table excludes the micro and small burstable classes for MySQL and MariaDB
    only; this construct's engine, PostgreSQL, supports every class."""
    assert INSIGHTS_UNSUPPORTED_CLASSES["postgres"] == frozenset()
    assert INSIGHTS_UNSUPPORTED_CLASSES["mysql"] == INSIGHTS_UNSUPPORTED_CLASSES["mariadb"] == {
        "db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"
    }  # fmt: skip


def test_advanced_database_insights_keeps_fifteen_months() -> None:
    found = instance(synth(insights_mode="advanced", performance_insights_kms_key_arn="arn:key"))
    assert (found["database_insights_mode"], found["performance_insights_retention_period"]) == ("advanced", 465)


def test_parameter_group_follows_the_major_version() -> None:
    text = synth(engine_major_version="16")
    assert CdktfTesting.to_have_resource_with_properties(
        text, DbParameterGroup.TF_RESOURCE_TYPE, {"family": "postgres16", "lifecycle": {"create_before_destroy": True}}
    )
    assert instance(text)["engine_version"] == "16"


def test_allow_from_admits_postgres_from_that_group_only() -> None:
    assert CdktfTesting.to_have_resource_with_properties(
        synth(),
        VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE,
        {
            "referenced_security_group_id": "sg-0123456789abcdef0",
            "ip_protocol": "tcp",
            "from_port": 5432,
            "to_port": 5432,
            "description": "From the service",
        },
    )
