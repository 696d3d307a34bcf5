"""Observability in every environment: the alarm pack, the topic and its key, deployment failures, the dashboard."""

from __future__ import annotations

import json
from typing import Any

from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.kms_key import KmsKey

from tests.expected import EXPECTED as ENVIRONMENTS
from tests.helpers import data_sources, resources

TOPIC = "${aws_sns_topic.alarms_topic.arn}"
SERVICE = {"ClusterName": "${aws_ecs_cluster.service_cluster.name}", "ServiceName": "${aws_ecs_service.service_service.name}"}
DATABASE = {"DBInstanceIdentifier": "${aws_db_instance.database_instance.identifier}"}
BALANCER = {"LoadBalancer": "${aws_lb.load_balancer_alb.arn_suffix}"}
TARGETS = {**BALANCER, "TargetGroup": "${aws_lb_target_group.load_balancer_target_group.arn_suffix}"}
GT, LT = "GreaterThanThreshold", "LessThanThreshold"

# what: (namespace, metric, statistic, dimensions, comparison, threshold, treat_missing_data); running-tasks-low's
# threshold is the environment's minimum capacity and filled in per environment.
EXPECTED = {
    "cpu-high": ("AWS/ECS", "CPUUtilization", "Average", SERVICE, GT, 80, "notBreaching"),
    "memory-high": ("AWS/ECS", "MemoryUtilization", "Average", SERVICE, GT, 80, "notBreaching"),
    "running-tasks-low": ("ECS/ContainerInsights", "RunningTaskCount", "Average", SERVICE, LT, None, "breaching"),
    "target-5xx": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", TARGETS, GT, 10, "notBreaching"),
    "alb-5xx": ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", BALANCER, GT, 10, "notBreaching"),
    "response-time-high": ("AWS/ApplicationELB", "TargetResponseTime", "Average", TARGETS, GT, 5, "notBreaching"),
    "unhealthy-hosts": ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", TARGETS, GT, 0, "notBreaching"),
    "requests-high": ("AWS/ApplicationELB", "RequestCount", "Sum", BALANCER, GT, 1000, "notBreaching"),
    "db-cpu-high": ("AWS/RDS", "CPUUtilization", "Average", DATABASE, GT, 80, "breaching"),
    "db-connections-high": ("AWS/RDS", "DatabaseConnections", "Maximum", DATABASE, GT, 80, "notBreaching"),
    "db-storage-low": ("AWS/RDS", "FreeStorageSpace", "Minimum", DATABASE, LT, 2 * 1024**3, "breaching"),
    "db-read-latency-high": ("AWS/RDS", "ReadLatency", "Average", DATABASE, GT, 1, "notBreaching"),
    "db-write-latency-high": ("AWS/RDS", "WriteLatency", "Average", DATABASE, GT, 1, "notBreaching"),
}


def alarms_by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {alarm["alarm_name"]: alarm for alarm in resources(document, "aws_cloudwatch_metric_alarm").values()}


def test_the_full_alarm_pack(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """Every alarm: one-minute periods, 2 of 3 datapoints, the literal thresholds of the defaults; running-tasks-low
    fires below the environment's minimum task count."""
    c = ENVIRONMENTS[env_stack]
    prefix = f"wallet-service-{c.environment}"
    alarms = alarms_by_name(parsed[env_stack])
    assert set(alarms) == {f"{prefix}-{what}" for what in EXPECTED}
    for what, (namespace, metric, statistic, dimensions, comparison, threshold, missing) in EXPECTED.items():
        alarm = alarms[f"{prefix}-{what}"]
        expected_threshold = c.min_tasks if threshold is None else threshold
        actual = (alarm["namespace"], alarm["metric_name"], alarm["statistic"], alarm["dimensions"], alarm["comparison_operator"],
                  alarm["threshold"], alarm["treat_missing_data"])  # fmt: skip
        assert actual == (namespace, metric, statistic, dimensions, comparison, expected_threshold, missing), what
        assert (alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (60, 3, 2), what
        assert (alarm["alarm_actions"], alarm["ok_actions"]) == ([TOPIC], [TOPIC]), what
        assert alarm["alarm_description"], what


def test_thresholds_come_from_the_configuration(customized: dict[str, Any]) -> None:
    alarms = alarms_by_name(customized)
    assert alarms["wallet-service-staging-db-connections-high"]["threshold"] == 150
    assert alarms["wallet-service-staging-response-time-high"]["threshold"] == 2.5
    assert alarms["wallet-service-staging-cpu-high"]["threshold"] == 80  # not overridden: the default


def test_topic_is_encrypted_with_a_rotating_customer_key(
    synthesized: dict[str, str], parsed: dict[str, dict[str, Any]], env_stack: str
) -> None:
    document = parsed[env_stack]
    topic = resources(document, "aws_sns_topic")["alarms_topic"]
    assert topic["kms_master_key_id"] == "${aws_kms_key.alarms_key_key.arn}"
    assert CdktfTesting.to_have_resource_with_properties(
        synthesized[env_stack],
        KmsKey.TF_RESOURCE_TYPE,
        {"enable_key_rotation": True, "deletion_window_in_days": 30, "policy": "${data.aws_iam_policy_document.alarms_key_policy.json}"},
    )
    key_statements = {s["sid"]: s for s in data_sources(document, "aws_iam_policy_document")["alarms_key_policy"]["statement"]}
    cloudwatch, events = key_statements["CloudWatchEncrypts"], key_statements["EventBridgeEncrypts"]
    assert cloudwatch["principals"] == [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}]
    assert cloudwatch["condition"] == [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["${data.aws_caller_identity.account.account_id}"]}
    ]
    assert events["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    # EventBridge's KMS requests carry no source keys: a condition would drop every deployment message silently.
    assert "condition" not in events
    assert cloudwatch["actions"] == events["actions"] == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_topic_policy_admits_exactly_the_two_publishers(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    prefix = f"wallet-service-{ENVIRONMENTS[env_stack].environment}"
    [policy] = resources(document, "aws_sns_topic_policy").values()
    assert policy["arn"] == TOPIC
    statements = data_sources(document, "aws_iam_policy_document")["alarms_topic_policy_document"]["statement"]
    summary = [(s["principals"][0]["identifiers"], s["actions"], s["resources"], s["condition"][0]["values"]) for s in statements]
    assert summary == [
        (
            ["cloudwatch.amazonaws.com"],
            ["sns:Publish"],
            [TOPIC],
            [f"arn:aws:cloudwatch:us-east-1:${{data.aws_caller_identity.account.account_id}}:alarm:{prefix}-*"],
        ),
        (["events.amazonaws.com"], ["sns:Publish"], [TOPIC], ["${aws_cloudwatch_event_rule.alarms_deployment_failed.arn}"]),
    ]


def test_email_subscriptions_from_the_configuration(customized: dict[str, Any], parsed: dict[str, dict[str, Any]]) -> None:
    subscriptions = sorted(
        (s["protocol"], s["endpoint"], s["topic_arn"]) for s in resources(customized, "aws_sns_topic_subscription").values()
    )
    assert subscriptions == [("email", "oncall@example.com", TOPIC), ("email", "payments@example.com", TOPIC)]
    assert not resources(parsed["wallet-staging"], "aws_sns_topic_subscription")  # none configured by default


def test_failed_deployments_are_announced(synthesized: dict[str, str], parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    [rule] = resources(document, CloudwatchEventRule.TF_RESOURCE_TYPE).values()
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Deployment State Change"],
        "resources": ["${aws_ecs_service.service_service.id}"],
        "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
    }
    [target] = resources(document, "aws_cloudwatch_event_target").values()
    assert target["arn"] == TOPIC
    template = json.loads(target["input_transformer"]["input_template"])
    assert "<deployment>" in template and "<reason>" in template
    assert set(target["input_transformer"]["input_paths"]) == {"deployment", "reason", "time"}


def test_deployment_watches_5xx_and_unhealthy_hosts_by_literal_name(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    prefix = f"wallet-service-{ENVIRONMENTS[env_stack].environment}"
    service = resources(parsed[env_stack], "aws_ecs_service")["service_service"]
    assert service["alarms"] == {"alarm_names": [f"{prefix}-target-5xx", f"{prefix}-unhealthy-hosts"], "enable": True, "rollback": True}
    assert set(service["alarms"]["alarm_names"]) <= set(alarms_by_name(parsed[env_stack]))


def test_dashboard_shows_every_alarm_metric(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    [dashboard] = resources(document, "aws_cloudwatch_dashboard").values()
    assert dashboard["dashboard_name"] == f"wallet-service-{ENVIRONMENTS[env_stack].environment}"
    body = json.loads(dashboard["dashboard_body"])
    graphed = {tuple(widget["properties"]["metrics"][0]) for widget in body["widgets"] if widget["type"] == "metric"}
    alarmed = {
        (alarm["namespace"], alarm["metric_name"], *[part for pair in alarm["dimensions"].items() for part in pair])
        for alarm in alarms_by_name(document).values()
    }
    assert graphed == alarmed
    assert [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"] == [
        "## Service",
        "## Load balancer",
        "## Database",
    ]
    assert "dashboards:name=${aws_cloudwatch_dashboard.dashboard_dashboard.dashboard_name}" in document["output"]["dashboard_url"]["value"]
