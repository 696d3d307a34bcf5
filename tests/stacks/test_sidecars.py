"""Sidecars added by configuration alone: the AWS Distro for OpenTelemetry collector of docs/architecture.md, and a sidecar from the
project's own repository, each with its image source, logs, IAM and network path, literal values."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from costs import estimate
from stacks import config
from stacks.errors import ConfigError
from tests.expected import ADOT_COLLECTOR
from tests.helpers import data_sources, resources, synth_environment

AGENT = {
    "name": "metrics-agent",
    "image": "wallet-service:statsd-exporter-0.28",
    "cpu": 32,
    "memory": 64,
    "essential": True,
    "depends_on": {"wallet-service": "HEALTHY"},
    "environment": {"STATSD_PORT": "9125"},
}
ACCOUNT = "${data.aws_caller_identity.account.account_id}"


def synth(stack: str, overrides: dict[str, Any]) -> dict[str, Any]:
    return synth_environment(stack, overrides)


@pytest.fixture(scope="module")
def with_sidecars() -> dict[str, Any]:
    """wallet-staging with the collector and a log router, and an app health check of its own."""
    return synth("wallet-staging", {"sidecars": [ADOT_COLLECTOR, AGENT], "app_health_check": ["CMD", "/app/healthz"]})


def containers(document: dict[str, Any], task_definition: str = "service_task_definition") -> dict[str, dict[str, Any]]:
    definitions = json.loads(resources(document, "aws_ecs_task_definition")[task_definition]["container_definitions"])
    return {definition["name"]: definition for definition in definitions}


def test_the_collector_runs_beside_the_service_from_the_pull_through_cache(with_sidecars: dict[str, Any]) -> None:
    by_name = containers(with_sidecars)
    assert list(by_name) == ["wallet-service", "otel-collector", "metrics-agent"]
    collector = by_name["otel-collector"]
    assert collector == {
        "name": "otel-collector",
        # the environment's cache in the account's own registry, never public.ecr.aws
        "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/ecr-public-staging/aws-observability/aws-otel-collector:v0.28.0",
        "essential": False,
        "cpu": 64,
        "memory": 128,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "mountPoints": [{"sourceVolume": "scratch-otel-collector", "containerPath": "/tmp", "readOnly": False}],
        "environment": [],
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/aws/ecs/wallet-service/staging",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "otel-collector",
            },
        },
        "healthCheck": {"command": ["CMD", "/healthcheck"], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60},
        "portMappings": [{"containerPort": 4317, "protocol": "tcp"}, {"containerPort": 4318, "protocol": "tcp"}],
        "command": ["--config=/etc/ecs/ecs-xray.yaml"],
    }
    [rule] = resources(with_sidecars, "aws_ecr_pull_through_cache_rule").values()
    assert {key: value for key, value in rule.items() if key != "//"} == {
        "ecr_repository_prefix": "ecr-public-staging",
        "upstream_registry_url": "public.ecr.aws",
    }
    [definition] = [d for name, d in resources(with_sidecars, "aws_ecs_task_definition").items() if name == "service_task_definition"]
    assert definition["volume"] == [{"name": "scratch"}, {"name": "scratch-otel-collector"}, {"name": "scratch-metrics-agent"}]


def test_the_pull_through_cache_rule_exists_before_the_task_that_pulls_through_it(with_sidecars: dict[str, Any]) -> None:
    """ECS pulls the collector through the rule as soon as a task starts: the service's task definition and the service
    depend on the rule (created after it, destroyed before it); the migration task, without sidecars, does not."""
    definitions = resources(with_sidecars, "aws_ecs_task_definition")
    assert definitions["service_task_definition"]["depends_on"] == ["aws_ecr_pull_through_cache_rule.pull_through_cache"]
    assert "depends_on" not in definitions["migration_task_definition"]
    service = resources(with_sidecars, "aws_ecs_service")["service_service"]
    assert "aws_ecr_pull_through_cache_rule.pull_through_cache" in service["depends_on"]


def test_without_a_pulled_through_sidecar_the_task_depends_on_no_rule(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    assert "depends_on" not in resources(document, "aws_ecs_task_definition")["service_task_definition"]
    assert not [d for d in resources(document, "aws_ecs_service")["service_service"]["depends_on"] if "pull_through" in d]


def test_a_sidecar_of_the_projects_repository_runs_its_tags_digest(with_sidecars: dict[str, Any]) -> None:
    router = containers(with_sidecars)["metrics-agent"]
    assert (
        router["image"]
        == "${data.aws_ecr_repository.image_repository.repository_url}@${data.aws_ecr_image.image_sidecar_metrics_agent.image_digest}"
    )
    image = data_sources(with_sidecars, "aws_ecr_image")["image_sidecar_metrics_agent"]
    assert (image["repository_name"], image["image_tag"]) == ("${data.aws_ecr_repository.image_repository.name}", "statsd-exporter-0.28")
    assert (router["essential"], router["dependsOn"]) == (True, [{"containerName": "wallet-service", "condition": "HEALTHY"}])
    assert router["environment"] == [{"name": "STATSD_PORT", "value": "9125"}]
    assert router["logConfiguration"]["options"]["awslogs-stream-prefix"] == "metrics-agent"
    assert "healthCheck" not in router and "portMappings" not in router


def test_the_service_container_gets_the_configured_health_check(with_sidecars: dict[str, Any]) -> None:
    app = containers(with_sidecars)["wallet-service"]
    assert app["healthCheck"] == {"command": ["CMD", "/app/healthz"], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}
    assert "healthCheck" not in containers(with_sidecars, "migration_task_definition")["wallet-service"]
    assert list(containers(with_sidecars, "migration_task_definition")) == ["wallet-service"]  # sidecars serve the service only


def test_no_app_health_check_when_set_empty() -> None:
    document = synth("wallet-dev", {"app_health_check": [], "container_port": 9090})
    assert "healthCheck" not in containers(document)["wallet-service"]


def test_the_default_app_health_check_follows_port_and_path() -> None:
    document = synth("wallet-dev", {"container_port": 9090, "health_check_path": "/ready"})
    assert containers(document)["wallet-service"]["healthCheck"]["command"] == [
        "CMD-SHELL",
        "curl -fsS http://localhost:9090/ready || exit 1",
    ]


def test_the_sidecars_iam_is_declared_with_them(with_sidecars: dict[str, Any]) -> None:
    policies = data_sources(with_sidecars, "aws_iam_policy_document")
    [statement] = policies["service_task_iam_sidecar_policy_document"]["statement"]
    assert statement == {
        "sid": "Sidecars",
        "actions": ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        "resources": ["*"],
    }
    attached = resources(with_sidecars, "aws_iam_role_policy")["service_task_iam_sidecar_policy"]
    assert (attached["role"], attached["name"]) == ("${aws_iam_role.service_task_iam_task_role.id}", "sidecars")
    assert "migration_task_iam_sidecar_policy_document" not in policies
    [cache] = [s for s in policies["service_task_iam_execution_policy_document"]["statement"] if s["sid"] == "EcrPullThroughCache"]
    assert cache == {
        "sid": "EcrPullThroughCache",
        "actions": [
            "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage",
            "ecr:CreateRepository",
        ],
        "resources": [f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/ecr-public-staging/*"],
    }  # fmt: skip


def test_the_sidecars_network_path_is_an_interface_endpoint_and_priced(with_sidecars: dict[str, Any], parsed: dict[str, Any]) -> None:
    endpoints = resources(with_sidecars, "aws_vpc_endpoint")
    assert endpoints["endpoints_sidecar_xray"]["service_name"] == "com.amazonaws.us-east-1.xray"
    assert endpoints["endpoints_sidecar_xray"]["vpc_endpoint_type"] == "Interface"
    assert endpoints["endpoints_sidecar_xray"]["security_group_ids"] == ["${aws_security_group.endpoints_security_group.id}"]
    prices = tomllib.loads(estimate.PRICES.read_text())
    before = estimate.estimate("staging", "pre-production", parsed["wallet-staging"], prices, azs=2).groups["network"]
    after = estimate.estimate("staging", "pre-production", with_sidecars, prices, azs=2).groups["network"]
    assert after - before == pytest.approx(2 * 730 * 0.01)  # one more endpoint in staging's 2 AZs


def test_without_sidecars_nothing_of_theirs_is_synthesized(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    assert not resources(document, "aws_ecr_pull_through_cache_rule")
    assert not [name for name in resources(document, "aws_vpc_endpoint") if name.startswith("endpoints_sidecar_")]
    assert list(containers(document)) == ["wallet-service"]


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        (
            {**ADOT_COLLECTOR, "image": "public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0"},
            "wallet-staging: sidecars[0].image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0' is not valid; expected "
            "'wallet-service:<tag>' (the project's repository, resolved to its digest at plan time) or 'ecr-public/<alias>/<repository>:<tag>' "
            "or '@sha256:<digest>' (ECR Public through the stack's pull-through cache): the tasks reach no other registry",
        ),
        (
            {**AGENT, "image": "prom/statsd-exporter:v0.28.0"},
            "wallet-staging: sidecars[0].image: 'prom/statsd-exporter:v0.28.0' is not valid; expected 'wallet-service:<tag>' (the project's "
            "repository, resolved to its digest at plan time) or 'ecr-public/<alias>/<repository>:<tag>' or '@sha256:<digest>' (ECR Public "
            "through the stack's pull-through cache): the tasks reach no other registry",
        ),
        (  # the project's repository needs a tag: the digest comes from the tag at plan time
            {**AGENT, "image": "wallet-service@sha256:" + "a" * 64},
            "wallet-staging: sidecars[0].image: 'wallet-service@sha256:" + "a" * 64 + "' is not valid; expected 'wallet-service:<tag>' "
            "(the project's repository, resolved to its digest at plan time) or 'ecr-public/<alias>/<repository>:<tag>' or '@sha256:<digest>' "
            "(ECR Public through the stack's pull-through cache): the tasks reach no other registry",
        ),
        (
            {**AGENT, "name": "wallet-service"},
            "wallet-staging: sidecars[0].name: 'wallet-service' is not valid; expected a name other than the service's own container's",
        ),
        (
            {**AGENT, "depends_on": {"db-proxy": "START"}},
            "wallet-staging: sidecars[0].depends_on: 'db-proxy' is not valid; expected another container of the task: wallet-service, "
            "metrics-agent",
        ),
        (
            {**AGENT, "depends_on": {"wallet-service": "READY"}},
            "wallet-staging: sidecars[0].depends_on['wallet-service']: 'READY' is not valid; expected one of 'START', 'COMPLETE', "
            "'SUCCESS', 'HEALTHY'",
        ),
        (
            {**ADOT_COLLECTOR, "ports": [8080]},
            "wallet-staging: sidecars[0].ports: 8080 is not valid; expected a port no other container of the task listens on",
        ),
        (  # staging's task: 256 CPU units, 512 MiB
            {**ADOT_COLLECTOR, "memory": 512},
            "wallet-staging: sidecars: '512 MiB' is not valid; the sidecars take all of task_memory (512) and leave the service's "
            "container none: raise task_memory (with a Fargate size that allows it) or give the sidecars less",
        ),
        (
            {**ADOT_COLLECTOR, "cpu": 256},
            "wallet-staging: sidecars: '256 CPU units' is not valid; the sidecars take all of task_cpu (256) and leave the service's "
            "container none: raise task_cpu (with a Fargate size that allows it) or give the sidecars less",
        ),
        (
            {**ADOT_COLLECTOR, "iam_actions": ["xray:Put*"]},
            "wallet-staging: sidecars[0].iam_actions: 'xray:Put*' is not valid; expected an exact action 'service:Action' such as "
            "'xray:PutTraceSegments'",
        ),
        (  # the task role is shared: the service's container would read every secret
            {**ADOT_COLLECTOR, "iam_actions": ["secretsmanager:GetSecretValue"]},
            "wallet-staging: sidecars[0].iam_actions: 'secretsmanager:GetSecretValue' is not valid; no sidecar gets actions of iam, "
            "sts, kms, secretsmanager, ssm, rds-db, rds, organizations, sso: they would hold on every resource, for the service's "
            "container too (the task role is shared)",
        ),
        (
            {**ADOT_COLLECTOR, "image": "ecr-public/nginx:latest"},
            "wallet-staging: sidecars[0].image: 'ecr-public/nginx:latest' is not valid; expected 'ecr-public/<alias>/<repository>', as "
            "public.ecr.aws/<alias>/<repository> names it",
        ),
        (
            {**ADOT_COLLECTOR, "health_check": ["CMD-SHELL", "curl", "-f"]},
            "wallet-staging: sidecars[0].health_check: ['CMD-SHELL', 'curl', '-f'] is not valid; expected ['CMD', <executable>, "
            "<arguments>...] or ['CMD-SHELL', <command>], of non-empty strings",
        ),
        (  # ECS: COMPLETE and SUCCESS "cannot be set on an essential container"
            {**AGENT, "depends_on": {"wallet-service": "COMPLETE"}},
            "wallet-staging: sidecars[0].depends_on['wallet-service']: 'COMPLETE' is not valid; wallet-service is essential, and ECS "
            "waits for COMPLETE or SUCCESS only on a container that is not",
        ),
        (
            {**ADOT_COLLECTOR, "health_check": ["/healthcheck"]},
            "wallet-staging: sidecars[0].health_check: ['/healthcheck'] is not valid; expected ['CMD', <executable>, <arguments>...] or "
            "['CMD-SHELL', <command>], of non-empty strings",
        ),
        (
            {**ADOT_COLLECTOR, "memory": 4},
            "wallet-staging: sidecars[0].memory: 4 is not valid; expected a whole number from 6 to 122880",
        ),
        (
            {**ADOT_COLLECTOR, "cpu": "64"},
            "wallet-staging: sidecars[0].cpu: '64' has the wrong type; expected a whole number",
        ),
        (
            {key: value for key, value in ADOT_COLLECTOR.items() if key != "image"},
            "wallet-staging: sidecars[0]: image missing; expected an object with name, image, cpu, memory, essential, command, ports, "
            "depends_on, health_check, environment, iam_actions, aws_services",
        ),
        (
            {**ADOT_COLLECTOR, "imgae": "x"},
            "wallet-staging: sidecars[0]: unknown field 'imgae'; did you mean 'image'?",
        ),
    ],
    ids=[
        "public-registry", "docker-hub", "own-repository-by-digest", "the-services-name", "unknown-container", "unknown-condition",
        "port-taken", "memory", "cpu", "action-wildcard", "withheld-service", "ecr-public-without-alias", "cmd-shell-form",
        "complete-on-essential", "health-check-form", "memory-minimum", "cpu-type", "missing-field", "unknown-field",
    ],
)  # fmt: skip
def test_each_sidecar_mistake_is_one_line(sidecar: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({"wallet-staging": {"sidecars": [sidecar]}})
    assert str(raised.value) == message


def test_two_sidecars_of_one_name_are_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({"wallet-staging": {"sidecars": [AGENT, {**AGENT, "cpu": 16}]}})
    assert str(raised.value) == "wallet-staging: sidecars[0].name: 'metrics-agent' is not valid; expected a name no other sidecar has"


def test_the_sidecars_may_take_all_but_one_unit() -> None:
    """256 CPU units and 512 MiB in staging: 255 and 511 leave the service's container one of each."""
    [staging] = [c for c in config.load({"wallet-staging": {"sidecars": [{**ADOT_COLLECTOR, "cpu": 255, "memory": 511}]}})
                 if c.stack_name == "wallet-staging"]  # fmt: skip
    assert (staging.sidecars[0].cpu, staging.sidecars[0].memory) == (255, 511)


def test_the_docs_example_is_the_one_tested() -> None:
    """The wallet-prod settings of docs/architecture.md ("Sidecars"), as written there, synthesize the collector beside
    the service, from prod's cache, with its X-Ray endpoint; they are ADOT_COLLECTOR, which the emulated account applies."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text()
    example = re.search(r"\*\*Example: the AWS Distro for OpenTelemetry collector.*?```json\n(.*?)```", page, re.DOTALL)
    assert example is not None, "docs/architecture.md: the sidecar example is gone"
    settings = json.loads("{" + example.group(1) + "}")["wallet-prod"]
    assert settings["sidecars"] == [ADOT_COLLECTOR]
    document = synth("wallet-prod", settings)
    assert containers(document)["otel-collector"]["image"] == (
        f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/ecr-public-prod/aws-observability/aws-otel-collector:v0.28.0"
    )
    assert resources(document, "aws_vpc_endpoint")["endpoints_sidecar_xray"]["service_name"] == "com.amazonaws.us-east-1.xray"
    [definition] = [d for name, d in resources(document, "aws_ecs_task_definition").items() if name == "service_task_definition"]
    assert (definition["cpu"], definition["memory"]) == ("512", "1024")


def test_a_container_waits_only_for_what_can_become_healthy() -> None:
    """HEALTHY needs the target's health check: without one the dependent container never starts (ECS)."""
    cases = [
        ({"app_health_check": [], "sidecars": [AGENT]}, "wallet-service"),
        ({"sidecars": [{**ADOT_COLLECTOR, "health_check": []}, {**AGENT, "depends_on": {"otel-collector": "HEALTHY"}}]}, "otel-collector"),
    ]
    for overrides, target in cases:
        with pytest.raises(ConfigError) as raised:
            config.load({"wallet-staging": overrides})
        where = "sidecars[0]" if target == "wallet-service" else "sidecars[1]"
        assert str(raised.value) == (
            f"wallet-staging: {where}.depends_on['{target}']: 'HEALTHY' is not valid; {target} has no health check (app_health_check "
            "for the service's container, health_check for a sidecar)"
        )
    healthy = config.load({"wallet-staging": {"sidecars": [ADOT_COLLECTOR, {**AGENT, "depends_on": {"otel-collector": "HEALTHY"}}]}})
    assert next(c for c in healthy if c.stack_name == "wallet-staging").sidecars[1].depends_on == {"otel-collector": "HEALTHY"}


def test_sidecars_may_not_wait_for_each_other_in_a_cycle() -> None:
    first = {**ADOT_COLLECTOR, "depends_on": {"metrics-agent": "START"}}
    second = {**AGENT, "depends_on": {"otel-collector": "START"}}
    with pytest.raises(ConfigError) as raised:
        config.load({"wallet-staging": {"sidecars": [first, second]}})
    assert str(raised.value) == (
        "wallet-staging: sidecars: 'otel-collector' is not valid; expected no cycle of depends_on: the containers would wait for "
        "each other forever"
    )


def test_a_service_the_stack_already_reaches_gets_no_second_endpoint() -> None:
    """logs already has its endpoint; S3 has the gateway endpoint; xray is new, under an id of its own."""
    from constructs_lib.endpoint_services import interface_services

    services = interface_services(ecs_exec=False, extra=("logs", "s3", "xray"))
    assert services == {
        "ecr_api": "ecr.api", "ecr_dkr": "ecr.dkr", "logs": "logs", "secretsmanager": "secretsmanager", "sidecar_xray": "xray",
    }  # fmt: skip
