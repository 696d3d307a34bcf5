"""Database in a bare stack: its defaults, its options, and the ingress it grants."""

from __future__ import annotations

import json
from typing import Any

from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from constructs_lib.database import Database, DatabaseProps


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
            "final_snapshot_identifier": "example-final",
            "delete_automated_backups": False,
            "multi_az": False,
            "performance_insights_enabled": True,
            "publicly_accessible": False,
            "storage_encrypted": True,
        },
    )
    assert "max_allocated_storage" not in instance(text)  # equal to allocated: no autoscaling
    assert "lifecycle" not in instance(text)


def test_unprotected_instance_skips_the_final_snapshot() -> None:
    found = instance(synth(protected=False, instance_class="db.t3.micro"))
    assert (found["deletion_protection"], found["skip_final_snapshot"], found["delete_automated_backups"]) == (False, True, True)
    assert "final_snapshot_identifier" not in found
    assert found["performance_insights_enabled"] is False


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
