"""Alarms and Dashboard alone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic

from constructs_lib.alarms import DEPLOYMENT_ALARMS, Alarms, AlarmsProps, alarm_name
from constructs_lib.dashboard import Dashboard, DashboardProps, dashboard_body
from tests.helpers import bare_stack, resources

# A threshold for every alarm that takes one, each a different number so a mix-up shows.
THRESHOLDS = {
    "cpu-high": 71,
    "memory-high": 72,
    "target-5xx": 3,
    "alb-5xx": 4,
    "response-time-high": 2.5,
    "requests-high": 500,
    "db-cpu-high": 73,
    "db-connections-high": 150,
    "db-storage-low": 5,
    "db-read-latency-high": 0.2,
    "db-write-latency-high": 0.3,
}


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
        "thresholds": THRESHOLDS,
    }
    return AlarmsProps(**{**values, **overrides})


def test_no_subscription_without_emails_but_the_topic_exists() -> None:
    stack = bare_stack()
    Alarms(stack, "alarms", props=props())
    text = CdktfTesting.synth(stack)
    assert CdktfTesting.to_have_resource_with_properties(text, SnsTopic.TF_RESOURCE_TYPE, {"name": "example-alarms"})
    assert not resources(json.loads(text), "aws_sns_topic_subscription")


def test_each_threshold_sets_its_own_alarm_and_the_partition_is_used() -> None:
    stack = bare_stack()
    alarms = Alarms(stack, "alarms", props=props(partition="aws-cn"))
    document = json.loads(CdktfTesting.synth(stack))
    by_name = {a["alarm_name"]: a for a in resources(document, "aws_cloudwatch_metric_alarm").values()}
    assert {name: alarm["threshold"] for name, alarm in by_name.items()} == {
        "example-cpu-high": 71,
        "example-memory-high": 72,
        "example-running-tasks-low": 3,  # min_running_tasks
        "example-target-5xx": 3,
        "example-alb-5xx": 4,
        "example-response-time-high": 2.5,
        "example-unhealthy-hosts": 0,
        "example-requests-high": 500,
        "example-db-cpu-high": 73,
        "example-db-connections-high": 150,
        "example-db-storage-low": 5 * 1024**3,  # GiB to bytes
        "example-db-read-latency-high": 0.2,
        "example-db-write-latency-high": 0.3,
    }
    assert "arn:aws-cn:cloudwatch:eu-west-1:123456789012:alarm:example-*" in json.dumps(document)
    assert {alarm_name("example", what) for what in DEPLOYMENT_ALARMS} <= set(by_name)
    assert len(alarms.specs) == len(by_name)


def test_a_threshold_for_an_alarm_that_does_not_exist_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^thresholds for alarms that do not exist: db-cpu-hihg$"):
        Alarms(bare_stack(), "alarms", props=props(thresholds={**THRESHOLDS, "db-cpu-hihg": 80}))


def test_an_alarm_without_its_threshold_is_an_error() -> None:
    without = {what: value for what, value in THRESHOLDS.items() if what != "requests-high"}
    with pytest.raises(ValueError, match=r"^alarm 'requests-high' has no threshold in AlarmsProps.thresholds$"):
        Alarms(bare_stack(), "alarms", props=props(thresholds=without))


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
