"""Observability in every environment: the alarm pack, the topic and its key, deployment failures, the dashboard."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.kms_key import KmsKey

from tests.expected import EXPECTED as ENVIRONMENTS
from tests.helpers import data_sources, resources, synth_environment

TOPIC = "${aws_sns_topic.alarms_topic.arn}"
SERVICE = {"ClusterName": "${aws_ecs_cluster.service_cluster.name}", "ServiceName": "${aws_ecs_service.service_service.name}"}
DATABASE = {"DBInstanceIdentifier": "${aws_db_instance.database_instance.identifier}"}
BALANCER = {"LoadBalancer": "${aws_lb.load_balancer_alb.arn_suffix}"}
GT, LT = "GreaterThanThreshold", "LessThanThreshold"
CHATBOT = "arn:aws:chatbot::123456789012:chat-configuration/slack-channel/payments-alerts"

# what: (namespace, metric, statistic, dimensions, comparison, threshold, treat_missing_data); running-tasks-low's
# threshold is the environment's minimum capacity and filled in per environment. The paging alarms on the load balancer
# count every target group (LoadBalancer dimension), whichever serves after a canary.
EXPECTED = {
    "cpu-high": ("AWS/ECS", "CPUUtilization", "Average", SERVICE, GT, 80, "notBreaching"),
    "memory-high": ("AWS/ECS", "MemoryUtilization", "Average", SERVICE, GT, 80, "notBreaching"),
    "running-tasks-low": ("ECS/ContainerInsights", "RunningTaskCount", "Average", SERVICE, LT, None, "breaching"),
    "target-5xx": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", BALANCER, GT, 10, "notBreaching"),
    "alb-5xx": ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", BALANCER, GT, 10, "notBreaching"),
    "response-time-high": ("AWS/ApplicationELB", "TargetResponseTime", "Average", BALANCER, GT, 5, "notBreaching"),
    "requests-high": ("AWS/ApplicationELB", "RequestCount", "Sum", BALANCER, GT, 1000, "notBreaching"),
    "db-cpu-high": ("AWS/RDS", "CPUUtilization", "Average", DATABASE, GT, 80, "breaching"),
    "db-connections-high": ("AWS/RDS", "DatabaseConnections", "Maximum", DATABASE, GT, 80, "notBreaching"),
    "db-storage-low": ("AWS/RDS", "FreeStorageSpace", "Minimum", DATABASE, LT, 2 * 1024**3, "breaching"),
    "db-read-latency-high": ("AWS/RDS", "ReadLatency", "Average", DATABASE, GT, 1, "notBreaching"),
    "db-write-latency-high": ("AWS/RDS", "WriteLatency", "Average", DATABASE, GT, 1, "notBreaching"),
}
# The rollback alarms, metric math per target group: what -> (metric per group with its statistic, the expression over
# the groups, threshold). The 5xx rate counts from 20 requests a minute.
RATE = "IF(FILL(requests{i}, 0) >= 20, 100 * FILL(errors{i}, 0) / FILL(requests{i}, 0), 0)"
MATH = {
    "deploy-5xx-rate": ({"requests": ("RequestCount", "Sum"), "errors": ("HTTPCode_Target_5XX_Count", "Sum")}, "rate", 5),
    "deploy-p99-latency": ({"latency": ("TargetResponseTime", "p99")}, "latency", 2),
    "unhealthy-hosts": ({"unhealthy": ("UnHealthyHostCount", "Maximum")}, "unhealthy", 0),
}
TARGET_GROUPS = ("${aws_lb_target_group.load_balancer_target_group.arn_suffix}",
                 "${aws_lb_target_group.load_balancer_alternate_target_group.arn_suffix}")  # fmt: skip


def target_groups(stack: str) -> tuple[str, ...]:
    """The serving target group, and the alternate one where ECS shifts traffic."""
    return TARGET_GROUPS[:1] if ENVIRONMENTS[stack].strategy == "ROLLING" else TARGET_GROUPS


@pytest.fixture(scope="module")
def customized_with_targets() -> dict[str, Any]:
    """wallet-prod with an e-mail, another SNS topic and a chat channel as targets."""
    targets = {"alarm_emails": ["oncall@example.com"], "alarm_notify_arns": ["arn:aws:sns:us-east-1:123456789012:payments-oncall", CHATBOT]}
    return synth_environment("wallet-prod", targets)


def alarms_by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {alarm["alarm_name"]: alarm for alarm in resources(document, "aws_cloudwatch_metric_alarm").values()}


def test_the_full_alarm_pack(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """Every alarm: one-minute periods, 2 of 3 datapoints, the literal thresholds of the defaults; running-tasks-low
    fires below the environment's minimum task count."""
    c = ENVIRONMENTS[env_stack]
    prefix = f"wallet-service-{c.environment}"
    alarms = alarms_by_name(parsed[env_stack])
    assert set(alarms) == {f"{prefix}-{what}" for what in [*EXPECTED, *MATH]}
    for what, (namespace, metric, statistic, dimensions, comparison, threshold, missing) in EXPECTED.items():
        alarm = alarms[f"{prefix}-{what}"]
        expected_threshold = c.min_tasks if threshold is None else threshold
        actual = (alarm["namespace"], alarm["metric_name"], alarm["statistic"], alarm["dimensions"], alarm["comparison_operator"],
                  alarm["threshold"], alarm["treat_missing_data"])  # fmt: skip
        assert actual == (namespace, metric, statistic, dimensions, comparison, expected_threshold, missing), what
        assert alarm["period"] == 60, what
    for alarm in alarms.values():
        assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (3, 2), alarm["alarm_name"]
        assert (alarm["alarm_actions"], alarm["ok_actions"]) == ([TOPIC], [TOPIC]), alarm["alarm_name"]
        assert alarm["alarm_description"], alarm["alarm_name"]


def test_rollback_alarms_are_metric_math_over_every_target_group(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    prefix = f"wallet-service-{ENVIRONMENTS[env_stack].environment}"
    alarms = alarms_by_name(parsed[env_stack])
    groups = target_groups(env_stack)
    for what, (inputs, step, threshold) in MATH.items():
        alarm = alarms[f"{prefix}-{what}"]
        assert (alarm["comparison_operator"], alarm["threshold"], alarm["treat_missing_data"]) == (GT, threshold, "notBreaching")
        assert "metric_name" not in alarm and "namespace" not in alarm
        queries = {query.pop("id"): query for query in json.loads(json.dumps(alarm["metric_query"]))}
        expected: dict[str, Any] = {}
        for name, (metric, statistic) in inputs.items():
            for i, group in enumerate(groups):
                expected[f"{name}{i}"] = {
                    "metric": {"namespace": "AWS/ApplicationELB", "metric_name": metric, "period": 60, "stat": statistic,
                               "dimensions": {**BALANCER, "TargetGroup": group}},
                    "return_data": False,
                }  # fmt: skip
        if step == "rate":
            expected |= {f"rate{i}": {"expression": RATE.format(i=i), "return_data": False} for i in range(len(groups))}
        expected["result"] = {
            "expression": f"MAX([{', '.join(f'{step}{i}' for i in range(len(groups)))}])",
            "label": alarm["metric_query"][-1]["label"],
            "return_data": True,
        }
        assert queries == expected, what


class Number(float):
    """A datapoint of metric math: x / 0 is NaN, not an error (IF computes both branches here, then picks one)."""

    def __truediv__(self, other: float) -> Number:
        return Number(float(self) / other if other else "nan")

    def __mul__(self, other: float) -> Number:
        return Number(float(self) * other)

    __rmul__ = __mul__


def evaluate(alarm: dict[str, Any], values: Mapping[str, float | None]) -> float:
    """The value a metric math alarm watches, for one minute of its input metrics (a missing input is no datapoint).
    Evaluates the subset of CloudWatch metric math the rollback alarms use (IF, FILL, MAX over an array, arithmetic and
    comparisons; docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html) with Python's operators."""
    scope: dict[str, Any] = {
        "IF": lambda condition, then, otherwise: then if condition else otherwise,
        "FILL": lambda value, default: Number(default if value is None else value),
        "MAX": max,
    }
    for query in alarm["metric_query"]:
        if "metric" in query:
            scope[query["id"]] = values.get(query["id"])
        else:
            scope[query["id"]] = eval(query["expression"], {"__builtins__": {}}, scope)  # the synthesized expression, no builtins
    return float(scope["result"])


def test_a_bad_canary_is_rolled_back_where_the_count_alarm_stays_quiet(parsed: dict[str, dict[str, Any]]) -> None:
    """300 requests a minute; the canary gets 10 % (30) and answers 20 % of them with 5xx (6 a minute): 20 % is above
    the 5 % rollback threshold, while 6 errors a minute stay below the seed's count alarm of more than 10."""
    alarms = alarms_by_name(parsed["wallet-prod"])
    rate, count = alarms["wallet-service-prod-deploy-5xx-rate"], alarms["wallet-service-prod-target-5xx"]
    canary = {"requests0": 270, "errors0": None, "requests1": 30, "errors1": 6}  # no 5xx from the old revision
    assert evaluate(rate, canary) == 20.0 > rate["threshold"] == 5
    assert 6 <= count["threshold"] == 10  # the same minute seen by the count alarm: 6 errors, not more than 10
    # A quiet minute is no outage: 5 requests with 3 errors is below the 20 requests the rate needs.
    assert evaluate(rate, {"requests0": 5, "errors0": 3}) == 0.0
    # A healthy release: 1 error in 300 requests.
    assert evaluate(rate, {"requests0": 150, "errors0": 1, "requests1": 150}) < rate["threshold"]


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
        (
            ["events.amazonaws.com"],
            ["sns:Publish"],
            [TOPIC],
            [f"arn:aws:events:us-east-1:${{data.aws_caller_identity.account.account_id}}:rule/{prefix}-*"],
        ),
    ]
    assert [s["condition"][0]["test"] for s in statements] == ["ArnLike", "ArnLike"]
    # Every rule that publishes there is this environment's, so the pattern admits it (and no other environment's).
    for rule in resources(document, "aws_cloudwatch_event_rule").values():
        assert rule["name"].startswith(f"{prefix}-")


def test_email_subscriptions_from_the_configuration(customized: dict[str, Any], parsed: dict[str, dict[str, Any]]) -> None:
    subscriptions = sorted(
        (s["protocol"], s["endpoint"], s["topic_arn"]) for s in resources(customized, "aws_sns_topic_subscription").values()
    )
    assert subscriptions == [("email", "oncall@example.com", TOPIC), ("email", "payments@example.com", TOPIC)]
    assert not resources(parsed["wallet-staging"], "aws_sns_topic_subscription")  # none configured by default


def test_failed_deployments_are_announced(synthesized: dict[str, str], parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    rule = resources(document, CloudwatchEventRule.TF_RESOURCE_TYPE)["alarms_deployment_failed"]
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Deployment State Change"],
        "resources": ["${aws_ecs_service.service_service.id}"],
        "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
    }
    target = resources(document, "aws_cloudwatch_event_target")["alarms_deployment_failed_target"]
    assert target["arn"] == TOPIC
    template = json.loads(target["input_transformer"]["input_template"])
    assert "<deployment>" in template and "<reason>" in template
    assert set(target["input_transformer"]["input_paths"]) == {"deployment", "reason", "time"}


def test_deployment_rolls_back_on_the_rate_latency_and_health_alarms(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    prefix = f"wallet-service-{ENVIRONMENTS[env_stack].environment}"
    service = resources(parsed[env_stack], "aws_ecs_service")["service_service"]
    names = [f"{prefix}-deploy-5xx-rate", f"{prefix}-deploy-p99-latency", f"{prefix}-unhealthy-hosts"]
    assert service["alarms"] == {"alarm_names": names, "enable": True, "rollback": True}
    assert set(names) <= set(alarms_by_name(parsed[env_stack]))
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}


def test_dashboard_shows_every_alarm_metric(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    [dashboard] = resources(document, "aws_cloudwatch_dashboard").values()
    assert dashboard["dashboard_name"] == f"wallet-service-{ENVIRONMENTS[env_stack].environment}"
    body = json.loads(dashboard["dashboard_body"])
    graphs = {widget["properties"]["title"]: widget["properties"]["metrics"] for widget in body["widgets"] if widget["type"] == "metric"}
    prefix = f"wallet-service-{ENVIRONMENTS[env_stack].environment}-"
    alarms = {name.removeprefix(prefix): alarm for name, alarm in alarms_by_name(document).items()}
    assert set(graphs) == set(alarms)
    for what, alarm in alarms.items():
        if "metric_query" in alarm:  # the alarm's expression is drawn; its inputs are computed but hidden
            assert graphs[what][-1] == [
                {"expression": alarm["metric_query"][-1]["expression"], "id": "result", "label": alarm["metric_query"][-1]["label"]}
            ]
        else:
            dimensions = [part for pair in alarm["dimensions"].items() for part in pair]
            assert graphs[what] == [[alarm["namespace"], alarm["metric_name"], *dimensions, {"stat": alarm["statistic"]}]], what
    assert [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"] == [
        "## Service",
        "## Deployment",
        "## Load balancer",
        "## Database",
    ]
    assert "dashboards:name=${aws_cloudwatch_dashboard.dashboard_dashboard.dashboard_name}" in document["output"]["dashboard_url"]["value"]


def test_a_production_plan_fails_when_nobody_would_hear_the_alarms(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """No e-mail and no other target by default (no placeholder addresses): production and pre-production carry a
    precondition that stops `terraform plan` and names the setting to add; development a check, which only warns."""
    c = ENVIRONMENTS[env_stack]
    document = parsed[env_stack]
    assert document["locals"]["alarms_notification_targets"] == []
    condition = "${(length(local.alarms_notification_targets) >= 1)}"
    message = (
        f"wallet-service-{c.environment}: the alarms and deployment and backup failures would reach nobody: add "
        "alarm_emails or alarm_notify_arns for this environment in cdktf.json (docs/alarms.md#alarms-notifications-dashboard)"
    )
    topic = resources(document, "aws_sns_topic")["alarms_topic"]
    if c.tier == "development":
        assert "lifecycle" not in topic
        assert document["check"] == {
            f"wallet_service_{c.environment}_alarm_targets": {"assert": [{"condition": condition, "error_message": message}]}
        }
    else:
        assert topic["lifecycle"] == {"precondition": [{"condition": condition, "error_message": message}]}
        assert "check" not in document


def test_other_sns_topics_get_every_alarm_and_failure(customized_with_targets: dict[str, Any]) -> None:
    document = customized_with_targets
    other = "arn:aws:sns:us-east-1:123456789012:payments-oncall"
    assert document["locals"]["alarms_notification_targets"] == ["oncall@example.com", other, CHATBOT]
    for alarm in resources(document, "aws_cloudwatch_metric_alarm").values():
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [TOPIC, other]  # the chat channel watches the topic itself
    targets = {t["arn"] for t in resources(document, "aws_cloudwatch_event_target").values()}
    assert targets == {TOPIC, other}
