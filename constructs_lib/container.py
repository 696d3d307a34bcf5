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


def volumes(props: ContainerProps) -> dict[str, str]:
    """The task's volumes (all task storage, emptied when the task stops) and where the container mounts each."""
    return {SCRATCH_VOLUME: SCRATCH_PATH, **(ECS_EXEC_VOLUMES if props.ecs_exec else {})}


def container_definitions(props: ContainerProps) -> str:
    """The JSON string ECS takes. Tokens inside (ARNs, names) are resolved by cdktf into interpolations."""
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
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": props.log_group_name, "awslogs-region": props.region, "awslogs-stream-prefix": props.name},
        },
    }
    if props.port is not None:
        definition["portMappings"] = [{"containerPort": props.port, "protocol": "tcp", "name": "http"}]
    if props.command is not None:
        definition["command"] = list(props.command)
    return json.dumps([definition])


def secret_reference(secret_arn: str, json_key: str) -> str:
    """ECS's syntax for one key of a JSON secret."""
    return f"{secret_arn}:{json_key}::"
