"""Alarms: every alarm reaches a person through an encrypted SNS topic, and failed deployments do too."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cdktf import Fn, Op, Precondition, TerraformLocal, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget, CloudwatchEventTargetInputTransformer
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from constructs_lib.encryption_key import EncryptionKey, EncryptionKeyProps, ServiceGrant, same_account

GIB = 1024**3
Comparison = Literal["GreaterThanThreshold", "LessThanThreshold"]
MissingData = Literal["breaching", "notBreaching", "missing", "ignore"]
# The alarms the service's deployment watches: a new revision that serves errors, is slow or fails its health checks is
# rolled back. They judge rates per target group, so a canary's errors count at the canary's share of traffic.
DEPLOYMENT_ALARMS = ("deploy-5xx-rate", "deploy-p99-latency", "unhealthy-hosts")
# What a publisher needs of the key that encrypts an SNS topic.
PUBLISHER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def alarm_name(prefix: str, what: str) -> str:
    """Alarm names are literal, so the service can watch them without depending on the alarm resources."""
    return f"{prefix}-{what}"


@dataclass(frozen=True, kw_only=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, str]
    statistic: Literal["Average", "Sum", "Maximum", "Minimum", "p99"]
    period: int = 60


@dataclass(frozen=True, kw_only=True)
class MetricMath:
    """A CloudWatch metric math expression (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html)
    over ``metrics`` and the intermediate ``steps``, each by its id."""

    expression: str
    label: str
    metrics: Mapping[str, Metric]
    steps: Mapping[str, str]
    """Intermediate expressions, in order; ``expression`` and later steps may use their ids."""
    period: int = 60


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    what: str
    """Suffix of the alarm name: <prefix>-<what>."""
    group: str
    """Dashboard row: Service, Deployment, Load balancer or Database."""
    metric: Metric | MetricMath
    comparison: Comparison
    threshold: float
    treat_missing_data: MissingData
    description: str
    """What it means and what to do first."""
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2


@dataclass(frozen=True, kw_only=True)
class AlarmsProps:
    prefix: str
    """wallet-service-<env>: names the topic, key alias, alarms and rule."""
    region: str
    account_id: str
    emails: Sequence[str]
    """Who is notified. Default: nobody subscribed yet (the topic still exists for subscriptions)."""
    cluster_name: str
    service_name: str
    service_arn: str
    min_running_tasks: int
    db_identifier: str
    load_balancer_arn_suffix: str
    target_group_arn_suffixes: Sequence[str]
    """Every target group the service's tasks can be in (two with canary, linear and blue/green deployments)."""
    min_requests_per_minute: int
    """Requests a minute a target group must serve before its 5xx rate counts."""
    thresholds: Mapping[str, float]
    """Threshold per alarm name (the <what> of <prefix>-<what>), for every alarm of the pack except running-tasks-low
    (min_running_tasks) and unhealthy-hosts (0). A missing or an unknown name is an error."""
    partition: str = "aws"
    """ARN partition of the region (aws-cn, aws-us-gov elsewhere). Default: aws."""
    notify_arns: Sequence[str] = ()
    """Other targets: SNS topics (alarm and failure messages go there too) and AWS Chatbot channels (they watch the
    topic; named here so that they count as a target). Default: none."""
    require_target: bool = False
    """No e-mail and no other target: True makes `terraform plan` fail (a precondition), False warns (a check)."""


class Alarms(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: AlarmsProps) -> None:
        super().__init__(scope, id_)
        self.specs = alarm_specs(props)
        self._prefix = props.prefix
        key = self._key(props)
        # Who hears the alarms, as a Terraform local: synthesis never fails for it (the defaults must synthesize),
        # the plan does (or warns), naming the setting to add.
        targets = TerraformLocal(self, "notification_targets", [*props.emails, *props.notify_arns])
        somebody = Op.gte(Fn.length_of(targets.as_list), 1)
        message = (
            f"{props.prefix}: the alarms and deployment and backup failures would reach nobody: add alarm_emails or "
            f"alarm_notify_arns for this environment in cdktf.json (docs/alarms.md#alarms-notifications-dashboard)"
        )
        topic = SnsTopic(
            self,
            "topic",
            name=f"{props.prefix}-alarms",
            kms_master_key_id=key.arn,
            lifecycle=TerraformResourceLifecycle(precondition=[Precondition(condition=somebody, error_message=message)])
            if props.require_target
            else None,
        )
        if not props.require_target:
            TerraformStack.of(self).add_override(
                f"check.{props.prefix.replace('-', '_')}_alarm_targets", {"assert": [{"condition": somebody, "error_message": message}]}
            )
        for index, email in enumerate(props.emails):
            SnsTopicSubscription(self, f"email_{index}", topic_arn=topic.arn, protocol="email", endpoint=email)
        self._topics = [topic.arn, *(arn for arn in props.notify_arns if ":sns:" in arn)]
        rule = CloudwatchEventRule(
            self,
            "deployment_failed",
            name=f"{props.prefix}-deployment-failed",
            description="ECS could not complete a deployment of the wallet service (the circuit breaker rolled it back)",
            event_pattern=json.dumps(
                {
                    "source": ["aws.ecs"],
                    "detail-type": ["ECS Deployment State Change"],
                    "resources": [props.service_arn],
                    "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
                }
            ),
        )
        self.notify(
            "deployment_failed",
            rule,
            CloudwatchEventTargetInputTransformer(
                input_paths={"deployment": "$.detail.deploymentId", "reason": "$.detail.reason", "time": "$.time"},
                input_template=json.dumps(f"{props.prefix}: deployment <deployment> failed at <time> and was rolled back: <reason>"),
            ),
        )
        self._topic_policy(props, topic)
        for spec in self.specs:
            CloudwatchMetricAlarm(
                self,
                spec.what.replace("-", "_"),
                alarm_name=alarm_name(props.prefix, spec.what),
                alarm_description=spec.description,
                **_alarm_metric(spec.metric),
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.datapoints_to_alarm,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                treat_missing_data=spec.treat_missing_data,
                alarm_actions=self._topics,
                ok_actions=self._topics,
            )
        self.topic_arn: str = topic.arn

    def notify(self, id_: str, rule: CloudwatchEventRule, message: CloudwatchEventTargetInputTransformer) -> None:
        """Sends what ``rule`` matches, as ``message``, to the alarm topic and the other SNS targets."""
        for index, topic_arn in enumerate(self._topics):
            CloudwatchEventTarget(
                self, f"{id_}_target" if index == 0 else f"{id_}_target_{index}", rule=rule.name, arn=topic_arn, input_transformer=message
            )

    def _key(self, props: AlarmsProps) -> EncryptionKey:
        """A customer-managed key: the AWS-managed SNS key does not let CloudWatch or EventBridge publish (they fail silently)."""
        return EncryptionKey(
            self,
            "key",
            props=EncryptionKeyProps(
                alias=f"{props.prefix}-alarms",
                description=f"Encrypts the {props.prefix} alarm topic",
                account_id=props.account_id,
                partition=props.partition,
                grants=[
                    ServiceGrant(
                        sid="CloudWatchEncrypts",
                        services=["cloudwatch.amazonaws.com"],
                        actions=PUBLISHER_KEY_ACTIONS,
                        conditions=[same_account(props.account_id)],
                    ),
                    # No condition here: EventBridge's KMS requests carry no aws:SourceAccount/SourceArn, so any such
                    # condition would make every deployment-failure message be dropped silently. The topic policy
                    # still admits only this environment's rule.
                    ServiceGrant(sid="EventBridgeEncrypts", services=["events.amazonaws.com"], actions=PUBLISHER_KEY_ACTIONS),
                ],
            ),
        )

    def _topic_policy(self, props: AlarmsProps, topic: SnsTopic) -> None:
        """Exactly two publishers: this account's CloudWatch alarms of this environment, and its EventBridge rules (the
        failed deployments here, failed backups in the DatabaseBackup construct): both by name prefix."""
        alarms_arn = f"arn:{props.partition}:cloudwatch:{props.region}:{props.account_id}:alarm:{props.prefix}-*"
        rules_arn = f"arn:{props.partition}:events:{props.region}:{props.account_id}:rule/{props.prefix}-*"
        policy = DataAwsIamPolicyDocument(
            self,
            "topic_policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="CloudWatchAlarms",
                    actions=["sns:Publish"],
                    resources=[topic.arn],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["cloudwatch.amazonaws.com"])],
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="ArnLike", variable="aws:SourceArn", values=[alarms_arn])],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="EnvironmentRules",
                    actions=["sns:Publish"],
                    resources=[topic.arn],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["events.amazonaws.com"])],
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="ArnLike", variable="aws:SourceArn", values=[rules_arn])],
                ),
            ],
        )
        SnsTopicPolicy(self, "topic_policy", arn=topic.arn, policy=policy.json)


def _statistic(metric: Metric) -> dict[str, str]:
    """Percentiles go in extended_statistic, the others in statistic (aws_cloudwatch_metric_alarm)."""
    return {"extended_statistic": metric.statistic} if metric.statistic.startswith("p") else {"statistic": metric.statistic}


def _alarm_metric(metric: Metric | MetricMath) -> dict[str, Any]:
    """The metric arguments of aws_cloudwatch_metric_alarm: one metric, or metric queries with the expression returned."""
    if isinstance(metric, Metric):
        return {
            "namespace": metric.namespace,
            "metric_name": metric.name,
            "dimensions": dict(metric.dimensions),
            "period": metric.period,
            **_statistic(metric),
        }
    queries = [
        CloudwatchMetricAlarmMetricQuery(
            id=query_id,
            return_data=False,
            metric=CloudwatchMetricAlarmMetricQueryMetric(
                namespace=part.namespace, metric_name=part.name, dimensions=dict(part.dimensions), period=part.period, stat=part.statistic
            ),
        )
        for query_id, part in metric.metrics.items()
    ]
    queries += [CloudwatchMetricAlarmMetricQuery(id=step_id, expression=step, return_data=False) for step_id, step in metric.steps.items()]
    queries.append(CloudwatchMetricAlarmMetricQuery(id="result", expression=metric.expression, label=metric.label, return_data=True))
    return {"metric_query": queries}


def per_target_group(props: AlarmsProps, name: str, statistic: Literal["Sum", "Maximum", "p99"], prefix: str) -> dict[str, Metric]:
    """One ALB metric for each target group, by id <prefix><index>."""
    return {
        f"{prefix}{index}": Metric(
            namespace="AWS/ApplicationELB",
            name=name,
            dimensions={"LoadBalancer": props.load_balancer_arn_suffix, "TargetGroup": suffix},
            statistic=statistic,
        )
        for index, suffix in enumerate(props.target_group_arn_suffixes)
    }


def deployment_metrics(props: AlarmsProps) -> dict[str, MetricMath]:
    """What the rollback alarms judge, worst target group first: whichever group holds the new revision decides."""
    groups = range(len(props.target_group_arn_suffixes))
    minimum = props.min_requests_per_minute
    # A group's 5xx share of its requests, or 0 in a minute with fewer than `minimum` requests (a quiet minute is no
    # outage). FILL: ALB reports no 5xx datapoint in a minute without errors, and no requests in an idle minute.
    rates = {f"rate{i}": f"IF(FILL(requests{i}, 0) >= {minimum}, 100 * FILL(errors{i}, 0) / FILL(requests{i}, 0), 0)" for i in groups}
    return {
        "deploy-5xx-rate": MetricMath(
            expression=f"MAX([{', '.join(rates)}])",
            label="5xx % of the worst target group",
            metrics={
                **per_target_group(props, "RequestCount", "Sum", "requests"),
                **per_target_group(props, "HTTPCode_Target_5XX_Count", "Sum", "errors"),
            },
            steps=rates,
        ),
        "deploy-p99-latency": MetricMath(
            expression=f"MAX([{', '.join(f'latency{i}' for i in groups)}])",
            label="p99 response time of the slowest target group",
            metrics=per_target_group(props, "TargetResponseTime", "p99", "latency"),
            steps={},
        ),
        "unhealthy-hosts": MetricMath(
            expression=f"MAX([{', '.join(f'unhealthy{i}' for i in groups)}])",
            label="unhealthy targets of the worst target group",
            metrics=per_target_group(props, "UnHealthyHostCount", "Maximum", "unhealthy"),
            steps={},
        ),
    }


def alarm_specs(props: AlarmsProps) -> list[AlarmSpec]:
    """The alarm pack, in dashboard order: one named record per alarm."""
    thresholds = dict(props.thresholds)

    def configured(what: str) -> float:
        if what not in thresholds:
            raise ValueError(f"alarm {what!r} has no threshold in AlarmsProps.thresholds")
        return thresholds.pop(what)

    service = {"ClusterName": props.cluster_name, "ServiceName": props.service_name}
    database = {"DBInstanceIdentifier": props.db_identifier}
    balancer = {"LoadBalancer": props.load_balancer_arn_suffix}
    deployment = deployment_metrics(props)
    specs = [
        AlarmSpec(
            what="cpu-high", group="Service", comparison="GreaterThanThreshold", threshold=configured("cpu-high"),
            metric=Metric(namespace="AWS/ECS", name="CPUUtilization", dimensions=service, statistic="Average"),
            treat_missing_data="notBreaching",
            description="Service CPU is high: check for a traffic surge or a hot loop; scaling should follow.",
        ),
        AlarmSpec(
            what="memory-high", group="Service", comparison="GreaterThanThreshold", threshold=configured("memory-high"),
            metric=Metric(namespace="AWS/ECS", name="MemoryUtilization", dimensions=service, statistic="Average"),
            treat_missing_data="notBreaching", description="Service memory is high: look for a leak; tasks are killed at 100%.",
        ),
        AlarmSpec(
            what="running-tasks-low", group="Service", comparison="LessThanThreshold", threshold=props.min_running_tasks,
            metric=Metric(namespace="ECS/ContainerInsights", name="RunningTaskCount", dimensions=service, statistic="Average"),
            treat_missing_data="breaching",
            description="Fewer tasks run than the minimum: read the service events and the task stop reasons.",
        ),
        AlarmSpec(
            what="deploy-5xx-rate", group="Deployment", comparison="GreaterThanThreshold", threshold=configured("deploy-5xx-rate"),
            metric=deployment["deploy-5xx-rate"], treat_missing_data="notBreaching",
            description="A target group answers this percent of its requests with 5xx: a deployment in progress is rolled back; "
            "otherwise read the service's logs.",
        ),
        AlarmSpec(
            what="deploy-p99-latency", group="Deployment", comparison="GreaterThanThreshold",
            threshold=configured("deploy-p99-latency"), metric=deployment["deploy-p99-latency"], treat_missing_data="notBreaching",
            description="The slowest 1 % of a target group's responses take longer than this: a deployment in progress is rolled "
            "back; otherwise check the database and the service's CPU.",
        ),
        AlarmSpec(
            what="unhealthy-hosts", group="Deployment", comparison="GreaterThanThreshold", threshold=0,
            metric=deployment["unhealthy-hosts"], treat_missing_data="notBreaching",
            description="A task fails its health check: read its logs. A deployment in progress is rolled back.",
        ),
        AlarmSpec(
            what="target-5xx", group="Load balancer", comparison="GreaterThanThreshold", threshold=configured("target-5xx"),
            metric=Metric(namespace="AWS/ApplicationELB", name="HTTPCode_Target_5XX_Count", dimensions=balancer, statistic="Sum"),
            treat_missing_data="notBreaching",
            description="The service answers with many 5xx errors (all target groups): read its logs.",
        ),
        AlarmSpec(
            what="alb-5xx", group="Load balancer", comparison="GreaterThanThreshold", threshold=configured("alb-5xx"),
            metric=Metric(namespace="AWS/ApplicationELB", name="HTTPCode_ELB_5XX_Count", dimensions=balancer, statistic="Sum"),
            treat_missing_data="notBreaching", description="The load balancer answers 5xx itself: no healthy target, or targets time out.",
        ),
        AlarmSpec(
            what="response-time-high", group="Load balancer", comparison="GreaterThanThreshold",
            threshold=configured("response-time-high"),
            metric=Metric(namespace="AWS/ApplicationELB", name="TargetResponseTime", dimensions=balancer, statistic="Average"),
            treat_missing_data="notBreaching", description="Responses are slow: check database latency and the service's CPU.",
        ),
        AlarmSpec(
            what="requests-high", group="Load balancer", comparison="GreaterThanThreshold", threshold=configured("requests-high"),
            metric=Metric(namespace="AWS/ApplicationELB", name="RequestCount", dimensions=balancer, statistic="Sum"),
            treat_missing_data="notBreaching", description="Informational: traffic is above the usual level; confirm auto scaling keeps up.",
        ),
        AlarmSpec(
            what="db-cpu-high", group="Database", comparison="GreaterThanThreshold", threshold=configured("db-cpu-high"),
            metric=Metric(namespace="AWS/RDS", name="CPUUtilization", dimensions=database, statistic="Average"),
            treat_missing_data="breaching",
            description="Database CPU is high (or the instance stopped reporting): look at slow statements in its log.",
        ),
        AlarmSpec(
            what="db-connections-high", group="Database", comparison="GreaterThanThreshold", threshold=configured("db-connections-high"),
            metric=Metric(namespace="AWS/RDS", name="DatabaseConnections", dimensions=database, statistic="Maximum"),
            treat_missing_data="notBreaching",
            description="Many database connections: check the service's connection pool size times the task count.",
        ),
        AlarmSpec(
            what="db-storage-low", group="Database", comparison="LessThanThreshold", threshold=configured("db-storage-low") * GIB,
            metric=Metric(namespace="AWS/RDS", name="FreeStorageSpace", dimensions=database, statistic="Minimum"),
            treat_missing_data="breaching",
            description="Database storage is nearly full: autoscaling may be at its ceiling; raise db_max_allocated_storage.",
        ),
        AlarmSpec(
            what="db-read-latency-high", group="Database", comparison="GreaterThanThreshold", threshold=configured("db-read-latency-high"),
            metric=Metric(namespace="AWS/RDS", name="ReadLatency", dimensions=database, statistic="Average"),
            treat_missing_data="notBreaching", description="Database reads are slow: check IOPS, missing indexes and slow statements.",
        ),
        AlarmSpec(
            what="db-write-latency-high", group="Database", comparison="GreaterThanThreshold",
            threshold=configured("db-write-latency-high"),
            metric=Metric(namespace="AWS/RDS", name="WriteLatency", dimensions=database, statistic="Average"),
            treat_missing_data="notBreaching", description="Database writes are slow: check IOPS and long transactions.",
        ),
    ]  # fmt: skip
    if thresholds:
        raise ValueError(f"thresholds for alarms that do not exist: {', '.join(sorted(thresholds))}")
    return specs
