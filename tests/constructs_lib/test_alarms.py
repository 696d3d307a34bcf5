"""Alarms and Dashboard alone."""

from __future__ import annotations

import json
from typing import Any

from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic

from constructs_lib.alarms import DEPLOYMENT_ALARMS, Alarms, AlarmsProps, AlarmThresholds, alarm_name
from constructs_lib.dashboard import Dashboard, DashboardProps, dashboard_body
from tests.helpers import bare_stack, resources


def props(**overrides: Any) -> AlarmsProps:
    values: dict[str, Any] = {
        "prefix": "example",
        "region": "eu-west-1",
        "account_id": "123456789012",
        "emails": [],
        "cluster_name": "cluster",
        "service_name": "service",
        "service_arn": "arn:service",
        "min_running_tasks": 3,
        "db_identifier": "db",
        "load_balancer_arn_suffix": "app/lb/1",
        "target_group_arn_suffix": "targetgroup/tg/1",
    }
    return AlarmsProps(**{**values, **overrides})


def test_no_subscription_without_emails_but_the_topic_exists() -> None:
    stack = bare_stack()
    Alarms(stack, "alarms", props=props())
    text = CdktfTesting.synth(stack)
    assert CdktfTesting.to_have_resource_with_properties(text, SnsTopic.TF_RESOURCE_TYPE, {"name": "example-alarms"})
    assert not resources(json.loads(text), "aws_sns_topic_subscription")


def test_thresholds_and_partition_are_used() -> None:
    stack = bare_stack()
    alarms = Alarms(
        stack, "alarms", props=props(thresholds=AlarmThresholds(db_free_storage_gib=5, http_5xx_per_minute=3), partition="aws-cn")
    )
    document = json.loads(CdktfTesting.synth(stack))
    by_name = {a["alarm_name"]: a for a in resources(document, "aws_cloudwatch_metric_alarm").values()}
    assert by_name["example-db-storage-low"]["threshold"] == 5 * 1024**3
    assert by_name["example-target-5xx"]["threshold"] == 3
    assert by_name["example-running-tasks-low"]["threshold"] == 3
    assert "arn:aws-cn:cloudwatch:eu-west-1:123456789012:alarm:example-*" in json.dumps(document)
    assert {alarm_name("example", what) for what in DEPLOYMENT_ALARMS} <= set(by_name)
    assert len(alarms.specs) == len(by_name)


def test_dashboard_rows_and_url() -> None:
    stack = bare_stack()
    specs = Alarms(stack, "alarms", props=props()).specs
    dashboard = Dashboard(stack, "dashboard", props=DashboardProps(name="example", region="eu-west-1", alarms=specs))
    assert dashboard.url.startswith("https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=")
    body = dashboard_body(DashboardProps(name="example", region="eu-west-1", alarms=specs))
    metrics = [w for w in body["widgets"] if w["type"] == "metric"]  # type: ignore[attr-defined]
    assert len(metrics) == len(specs)
    assert all(w["x"] + w["width"] <= 24 for w in metrics)
    positions = [(w["x"], w["y"]) for w in metrics]
    assert len(set(positions)) == len(positions)  # no two graphs on top of each other
