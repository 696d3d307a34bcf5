"""The guardrails every environment's tier requires, on the defaults and on the effective configuration (cdktf.json):
they hold for whatever a team configures, because the tier (not the environment's name) decides them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stacks import config
from tests.conftest import Build
from tests.helpers import resources, walk

# The tier is fixed by the environment table (no override can change it), so stacks can be chosen by tier here.
PROTECTED = [c.stack_name for c in config.ENVIRONMENTS if c.tier != "development"]
PRODUCTION = [c.stack_name for c in config.ENVIRONMENTS if c.tier == "production"]


def db_instance(document: dict[str, Any]) -> dict[str, Any]:
    return dict(document["resource"]["aws_db_instance"]["database_instance"])


@pytest.mark.parametrize("stack", PROTECTED)
def test_data_survives_outside_development(any_build: Build, stack: str) -> None:
    db = db_instance(any_build.parsed[stack])
    assert (db["deletion_protection"], db["skip_final_snapshot"], db["delete_automated_backups"]) == (True, False, False)
    assert re.fullmatch(r"wallet-service-\w+-final-\$\{terraform_data\.database_lifetime\.id\}", db["final_snapshot_identifier"])
    assert db["backup_retention_period"] >= 7


@pytest.mark.parametrize("stack", PRODUCTION)
def test_production_database_is_multi_az_and_cannot_be_destroyed(any_build: Build, stack: str) -> None:
    db = db_instance(any_build.parsed[stack])
    assert (db["multi_az"], db["lifecycle"]["prevent_destroy"]) == (True, True)


@pytest.mark.parametrize("stack", PRODUCTION)
def test_production_serves_https_only(any_build: Build, stack: str) -> None:
    document = any_build.parsed[stack]
    listeners = resources(document, "aws_lb_listener")
    assert {(listener["port"], listener["protocol"]) for listener in listeners.values()} == {(80, "HTTP"), (443, "HTTPS")}
    assert listeners["load_balancer_http"]["default_action"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
    ]
    assert listeners["load_balancer_https"]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13-1-")  # TLS 1.2 and later
    alb = document["resource"]["aws_lb"]["load_balancer_alb"]
    assert (alb["enable_deletion_protection"], alb["access_logs"]["enabled"]) == (True, True)


@pytest.mark.parametrize("stack", PRODUCTION)
def test_production_keeps_logs_a_year(any_build: Build, stack: str) -> None:
    retention = [group["retention_in_days"] for group in resources(any_build.parsed[stack], "aws_cloudwatch_log_group").values()]
    assert retention and min(retention) >= 365


def test_state_bucket_cannot_be_destroyed(any_build: Build) -> None:
    [bucket] = resources(any_build.parsed["wallet-state"], "aws_s3_bucket").values()
    assert bucket["lifecycle"] == {"prevent_destroy": True}


def test_performance_insights_is_encrypted_with_the_database_key_where_on(any_build: Build, env_stack: str) -> None:
    db = db_instance(any_build.parsed[env_stack])
    expected = "${aws_kms_key.database_key_key.arn}" if db["performance_insights_enabled"] else None
    assert db.get("performance_insights_kms_key_id") == expected


def test_no_secret_value_anywhere(any_build: Build, env_stack: str) -> None:
    keys = {key for key, _ in walk(any_build.parsed[env_stack])}
    assert not keys & {"password", "master_password", "password_wo", "secret_string", "secret_binary"}
