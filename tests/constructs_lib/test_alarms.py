"""Alarms and Dashboard alone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic

from constructs_lib.alarms import DEPLOYMENT_ALARMS, GIB, Alarms, AlarmsProps, alarm_name
from constructs_lib.dashboard import Dashboard, DashboardProps, dashboard_body
from stacks.config import ENVIRONMENTS as DEFAULTS
from tests.helpers import bare_stack, resources

# A threshold for every alarm the configuration sets one for (stacks/config.py, by alarm name), each a different number
# so a mix-up shows; a new alarm's threshold comes along without an edit here.
THRESHOLDS: dict[str, float] = {what: 100 + index for index, what in enumerate(sorted(DEFAULTS[0].alarm_thresholds))}
UNIT = {"db-storage-low": GIB}
"""The configuration's unit where it is not CloudWatch's: free storage in GiB, the metric in bytes."""


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
        "target_group_arn_suffixes": ["targetgroup/tg/1"],
        "min_requests_per_minute": 25,
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
        **{f"example-{what}": threshold * UNIT.get(what, 1) for what, threshold in THRESHOLDS.items()},
        "example-running-tasks-low": 3,  # min_running_tasks
        "example-unhealthy-hosts": 0,  # any unhealthy target, always
    }
    assert by_name["example-db-storage-low"]["threshold"] == THRESHOLDS["db-storage-low"] * 1024**3  # GiB to bytes
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


def test_deployment_alarms_judge_the_worst_of_every_target_group() -> None:
    stack = bare_stack()
    Alarms(stack, "alarms", props=props(target_group_arn_suffixes=["targetgroup/blue/1", "targetgroup/green/2"]))
    found = resources(json.loads(CdktfTesting.synth(stack)), "aws_cloudwatch_metric_alarm").values()
    alarms = {alarm["alarm_name"].removeprefix("example-"): alarm for alarm in found}
    queries = {query["id"]: query for query in alarms["deploy-5xx-rate"]["metric_query"]}
    assert queries["rate1"]["expression"] == "IF(FILL(requests1, 0) >= 25, 100 * FILL(errors1, 0) / FILL(requests1, 0), 0)"
    assert queries["result"] == {
        "id": "result",
        "expression": "MAX([rate0, rate1])",
        "label": "5xx % of the worst target group",
        "return_data": True,
    }
    assert queries["errors1"]["metric"]["dimensions"] == {"LoadBalancer": "app/lb/1", "TargetGroup": "targetgroup/green/2"}
    latency = {query["id"]: query for query in alarms["deploy-p99-latency"]["metric_query"]}
    assert latency["latency0"]["metric"]["stat"] == "p99"
    assert latency["result"]["expression"] == "MAX([latency0, latency1])"
    for alarm in alarms.values():  # CloudWatch's limits for metric math alarms: 10 metrics, 10 expressions
        query_list = alarm.get("metric_query", [])
        assert sum("metric" in q for q in query_list) <= 10 and sum("expression" in q for q in query_list) <= 10
        assert sum(q["return_data"] for q in query_list) == (1 if query_list else 0)
    # The paging alarms count every target group of the load balancer, whichever serves.
    assert alarms["target-5xx"]["dimensions"] == {"LoadBalancer": "app/lb/1"}
    assert alarms["response-time-high"]["dimensions"] == {"LoadBalancer": "app/lb/1"}


def test_dashboard_draws_an_expression_and_hides_its_inputs() -> None:
    specs = Alarms(bare_stack(), "alarms", props=props()).specs
    body = dashboard_body(DashboardProps(name="example", region="eu-west-1", alarms=specs))
    [graph] = [w for w in body["widgets"] if w.get("properties", {}).get("title") == "deploy-5xx-rate"]  # type: ignore[attr-defined]
    lines = graph["properties"]["metrics"]
    assert lines[-1] == [{"expression": "MAX([rate0])", "id": "result", "label": "5xx % of the worst target group"}]
    assert all(line[-1]["visible"] is False for line in lines[:-1])
