"""The container definition shared by the service and the migration task: hardened, logged, secrets by reference."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"
# ECS Exec's agent (the SSM agent ECS mounts into the container) writes its state, logs and binaries under these paths;
# with a read-only root filesystem they must be writable volumes, else the agent crashes and no session opens
# (github.com/aws/containers-roadmap/issues/1359, github.com/aws-containers/amazon-ecs-exec-checker/issues/21).
ECS_EXEC_VOLUMES = {"ssm-state": "/var/lib/amazon/ssm", "ssm-logs": "/var/log/amazon/ssm", "managed-agents": "/managed-agents"}


@dataclass(frozen=True, kw_only=True)
class ContainerProps:
    name: str
    image: str
    """Image reference by digest: <repository url>@sha256:..."""
    log_group_name: str
    region: str
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables. Never put a secret here."""
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Variable name -> Secrets Manager reference (<secret arn>:<json key>::), read by ECS at start."""
    port: int | None = None
    """Container port. Default: none (a task that serves nothing)."""
    command: Sequence[str] | None = None
    """Default: the image's own command."""
    ecs_exec: bool = False
    """Mount the writable volumes ECS Exec's agent needs (ECS_EXEC_VOLUMES); the root filesystem stays read-only."""
    health_check: Sequence[str] = ()
    """ECS container health check command (["CMD", ...] or ["CMD-SHELL", "..."]). Default: none."""


@dataclass(frozen=True, kw_only=True)
class SidecarProps:
    """A container beside the main one: its own log stream (prefix: its name) in the main container's log group, a
    read-only root filesystem with a scratch volume of its own, no secrets, ports reachable inside the task only."""

    name: str
    image: str
    """Image reference: <registry>/<repository>@sha256:... or :<tag>."""
    cpu: int
    """CPU units reserved for it."""
    memory: int
    """MiB, its hard limit."""
    essential: bool = False
    command: Sequence[str] = ()
    ports: Sequence[int] = ()
    depends_on: Mapping[str, str] = field(default_factory=dict)
    """Container name -> START, COMPLETE, SUCCESS or HEALTHY."""
    health_check: Sequence[str] = ()
    environment: Mapping[str, str] = field(default_factory=dict)


def volumes(props: ContainerProps) -> dict[str, str]:
    """The main container's volumes (all task storage, emptied when the task stops) and where it mounts each."""
    return {SCRATCH_VOLUME: SCRATCH_PATH, **(ECS_EXEC_VOLUMES if props.ecs_exec else {})}


def sidecar_volume(sidecar: SidecarProps) -> str:
    """A sidecar's own scratch volume (mounted at /tmp): nothing written by one container is read by another."""
    return f"{SCRATCH_VOLUME}-{sidecar.name}"


# Health check timing: ECS's defaults (interval 30 s, timeout 5 s, 3 retries), and 60 s after start before a failure
# counts (task_definition_parameters.html, "HealthCheck").
HEALTH_CHECK_TIMING = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}


def _health_check(command: Sequence[str]) -> dict[str, object]:
    return {"healthCheck": {"command": list(command), **HEALTH_CHECK_TIMING}} if command else {}


def _logs(props: ContainerProps, stream_prefix: str) -> dict[str, object]:
    return {
        "logDriver": "awslogs",
        "options": {"awslogs-group": props.log_group_name, "awslogs-region": props.region, "awslogs-stream-prefix": stream_prefix},
    }


def sidecar_definition(props: ContainerProps, sidecar: SidecarProps) -> dict[str, object]:
    definition: dict[str, object] = {
        "name": sidecar.name,
        "image": sidecar.image,
        "essential": sidecar.essential,
        "cpu": sidecar.cpu,
        "memory": sidecar.memory,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "mountPoints": [{"sourceVolume": sidecar_volume(sidecar), "containerPath": SCRATCH_PATH, "readOnly": False}],
        "environment": [{"name": name, "value": value} for name, value in sorted(sidecar.environment.items())],
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
        "logConfiguration": _logs(props, sidecar.name),
        **_health_check(sidecar.health_check),
    }
    if sidecar.ports:
        definition["portMappings"] = [{"containerPort": port, "protocol": "tcp"} for port in sidecar.ports]
    if sidecar.command:
        definition["command"] = list(sidecar.command)
    if sidecar.depends_on:
        definition["dependsOn"] = [{"containerName": name, "condition": condition} for name, condition in sidecar.depends_on.items()]
    return definition


def container_definitions(props: ContainerProps, sidecars: Sequence[SidecarProps] = ()) -> str:
    """The JSON string ECS takes: the main container, then the sidecars. Tokens inside (ARNs, names) are resolved by
    cdktf into interpolations."""
    definition: dict[str, object] = {
        "name": props.name,
        "image": props.image,
        "essential": True,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "mountPoints": [{"sourceVolume": volume, "containerPath": path, "readOnly": False} for volume, path in volumes(props).items()],
        "environment": [{"name": name, "value": value} for name, value in sorted(props.environment.items())],
        "secrets": [{"name": name, "valueFrom": value_from} for name, value_from in sorted(props.secrets.items())],
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
        "logConfiguration": _logs(props, props.name),
        **_health_check(props.health_check),
    }
    if props.port is not None:
        definition["portMappings"] = [{"containerPort": props.port, "protocol": "tcp", "name": "http"}]
    if props.command is not None:
        definition["command"] = list(props.command)
    return json.dumps([definition, *(sidecar_definition(props, sidecar) for sidecar in sidecars)])


def secret_reference(secret_arn: str, json_key: str) -> str:
    """ECS's syntax for one key of a JSON secret."""
    return f"{secret_arn}:{json_key}::"
