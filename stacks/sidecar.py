"""Sidecar containers of the service's task, as the configuration declares them: image, share of the task, ports,
health check, and what each needs beyond the service's own paths: IAM actions and AWS services (network paths).

Importable without cdktf, like stacks/config.py, which checks a sidecar against the rest of the environment (the
repository, the task size, the other containers' names and ports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from stacks.rules import check_pattern, check_range, fail

APP_CONTAINER = "wallet-service"
"""The service's own container (also the migration task's): a sidecar takes another name."""
PULL_THROUGH_PREFIX = "ecr-public"
"""Images of ECR Public come through a pull-through cache rule with this repository prefix
(docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html): the tasks pull them from the private
registry, through the ECR endpoints, and reach no other registry."""
UPSTREAM_REGISTRY = "public.ecr.aws"

# An ECS container name ("Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens",
# docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html); here also the log stream prefix.
SIDECAR_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
# <repository>:<tag> or <repository>@sha256:<digest>, repository as ECR names them.
IMAGE = re.compile(
    r"^(?P<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z][A-Za-z0-9]*$")
IAM_ACTION_RULE = "expected an exact action 'service:Action' such as 'xray:PutTraceSegments'"
WITHHELD_SERVICES = ("iam", "sts", "kms", "secretsmanager", "ssm", "rds-db", "rds", "organizations", "sso")
"""Services whose actions no sidecar gets: its actions go to the task role, on every resource ("*"), and the service's
own container shares that role; keys, secrets, identities and the database stay with what the stack grants by ARN."""
ENDPOINT_SERVICE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Condition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
"""ECS container dependency conditions (task_definition_parameters.html, "Container dependency")."""
IMAGE_RULE = (
    "expected '<ecr_repository>:<tag>' (the project's repository, resolved to its digest at plan time) or "
    f"'{PULL_THROUGH_PREFIX}/<alias>/<repository>:<tag>' or '@sha256:<digest>' (ECR Public through the stack's pull-through "
    "cache): the tasks reach no other registry"
)


@dataclass(frozen=True, kw_only=True)
class Sidecar:
    """A container beside the service's in each of its tasks, with its own log stream (prefix: its name) in the
    service's log group and a read-only root filesystem."""

    name: str
    """Container name; 1-63 of a-z 0-9 -, starting with a letter, not the service's own (wallet-service)."""
    image: str
    """'<ecr_repository>:<tag>' (the project's repository; the task runs the tag's digest), or
    'ecr-public/<repository>:<tag>' or 'ecr-public/<repository>@sha256:<digest>' (an image of ECR Public, pulled
    through the stack's pull-through cache rule; a digest pins it). A public registry's address is refused."""
    cpu: int
    """CPU units reserved for it (1024 = one vCPU), taken from task_cpu; 0-16384."""
    memory: int
    """MiB, its hard limit (ECS stops it above), taken from task_memory; 6-122880."""
    essential: bool = False
    """true: the task stops when it stops. Default: false (the service keeps serving without it)."""
    command: tuple[str, ...] = ()
    """Default: the image's own."""
    ports: tuple[int, ...] = ()
    """Ports it listens on inside the task (localhost to the service's container); never opened to the network."""
    depends_on: dict[str, str] = field(default_factory=dict)
    """Container -> START, COMPLETE, SUCCESS or HEALTHY: what it waits for before it starts."""
    health_check: tuple[str, ...] = ()
    """ECS container health check command, ["CMD", ...] or ["CMD-SHELL", "..."]. Default: none."""
    environment: dict[str, str] = field(default_factory=dict)
    """Plain environment variables. Never a secret."""
    iam_actions: tuple[str, ...] = ()
    """Actions the task role allows it, on any resource ("*"): for services without resource-level permissions, such
    as X-Ray's PutTraceSegments. Exact 'service:Action' names, none of WITHHELD_SERVICES (the role is the task's: the
    service's container gets them too)."""
    aws_services: tuple[str, ...] = ()
    """AWS services it calls, by endpoint service name ('xray' for com.amazonaws.<region>.xray): with vpc_endpoints,
    each gets an interface endpoint (its network path); without, the tasks reach them through the NAT gateway."""

    def __post_init__(self) -> None:
        check_pattern("name", self.name, SIDECAR_NAME, "expected 1-63 of a-z 0-9 -, starting with a letter")
        if self.name == APP_CONTAINER:
            fail("name", self.name, "expected a name other than the service's own container's")
        check_pattern("image", self.image, IMAGE, IMAGE_RULE)
        if self.pulled_through_cache and self.repository.count("/") < 2:
            fail(
                "image",
                self.image,
                f"expected '{PULL_THROUGH_PREFIX}/<alias>/<repository>', as public.ecr.aws/<alias>/<repository> names it",
            )
        check_range("cpu", self.cpu, 0, 16384)
        check_range("memory", self.memory, 6, 122880)
        for port in self.ports:
            check_range("ports", port, 1, 65535)
        if len(set(self.ports)) != len(self.ports):
            fail("ports", list(self.ports), "expected each port once")
        for container, condition in self.depends_on.items():
            if condition not in get_args(Condition):
                fail(f"depends_on[{container!r}]", condition, "expected one of " + ", ".join(map(repr, get_args(Condition))))
        check_health_check("health_check", self.health_check)
        for name in self.environment:
            check_pattern("environment", name, ENV_NAME, "expected variable names of A-Z a-z 0-9 _, not starting with a digit")
        for action in self.iam_actions:
            check_pattern("iam_actions", action, IAM_ACTION, IAM_ACTION_RULE)
            if action.split(":")[0] in WITHHELD_SERVICES:
                fail(
                    "iam_actions", action,
                    f"no sidecar gets actions of {', '.join(WITHHELD_SERVICES)}: they would hold on every resource, for the service's "
                    "container too (the task role is shared)",
                )  # fmt: skip
        for service in self.aws_services:
            check_pattern("aws_services", service, ENDPOINT_SERVICE, "expected an endpoint service name such as 'xray'")

    @property
    def repository(self) -> str:
        match = IMAGE.fullmatch(self.image)
        assert match is not None  # checked in __post_init__
        return match.group("repository")

    @property
    def pulled_through_cache(self) -> bool:
        return self.repository.startswith(PULL_THROUGH_PREFIX + "/")

    @property
    def health_checked(self) -> bool:
        return bool(self.health_check)


HEALTH_CHECK_RULE = "expected ['CMD', <executable>, <arguments>...] or ['CMD-SHELL', <command>], of non-empty strings"


def check_health_check(field_name: str, command: tuple[str, ...]) -> None:
    """An ECS container health check command (task_definition_parameters.html, "HealthCheck"): ["CMD", executable,
    arguments...] runs directly, ["CMD-SHELL", command] through the container's /bin/sh; () for none."""
    if not command:
        return
    form_ok = (command[0] == "CMD" and len(command) >= 2) or (command[0] == "CMD-SHELL" and len(command) == 2)
    if not form_ok or not all(command):
        fail(field_name, list(command), HEALTH_CHECK_RULE)


def _check_dependencies(sidecars: tuple[Sidecar, ...], *, app_health_checked: bool) -> None:
    """ECS's container dependencies (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html):
    COMPLETE and SUCCESS "cannot be set on an essential container" (the service's always is), HEALTHY needs the target's
    health check (without one the dependent container never starts), and no container may wait for itself."""
    essential = {APP_CONTAINER: True, **{sidecar.name: sidecar.essential for sidecar in sidecars}}
    healthy = {APP_CONTAINER: app_health_checked, **{sidecar.name: sidecar.health_checked for sidecar in sidecars}}
    for index, sidecar in enumerate(sidecars):
        for target, condition in sidecar.depends_on.items():
            where = f"sidecars[{index}].depends_on[{target!r}]"
            if condition in ("COMPLETE", "SUCCESS") and essential[target]:
                fail(where, condition, f"{target} is essential, and ECS waits for COMPLETE or SUCCESS only on a container that is not")
            if condition == "HEALTHY" and not healthy[target]:
                fail(
                    where,
                    condition,
                    f"{target} has no health check (app_health_check for the service's container, health_check for a sidecar)",
                )
    waits = {sidecar.name: set(sidecar.depends_on) for sidecar in sidecars}
    for start, targets in waits.items():
        seen: set[str] = set()
        todo = list(targets)
        while todo:
            name = todo.pop()
            if name == start:
                fail("sidecars", start, "expected no cycle of depends_on: the containers would wait for each other forever")
            if name not in seen:
                seen.add(name)
                todo.extend(waits.get(name, ()))


def check_sidecars(
    sidecars: tuple[Sidecar, ...], *, ecr_repository: str, container_port: int, task_cpu: int, task_memory: int, app_health_checked: bool
) -> None:
    """What a sidecar must agree with: its image's repository, the other containers' names and ports, the task's size.

    ECS: "the sum of the memory reserved for all containers" and of their cpu may not exceed the task's
    (docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html, "Task size"); here the
    service's container gets what the sidecars leave, and that may not be nothing."""
    names = [sidecar.name for sidecar in sidecars]
    for index, sidecar in enumerate(sidecars):
        where = f"sidecars[{index}]"
        if names.count(sidecar.name) > 1:
            fail(f"{where}.name", sidecar.name, "expected a name no other sidecar has")
        if not sidecar.pulled_through_cache and (sidecar.repository != ecr_repository or IMAGE.fullmatch(sidecar.image)["tag"] is None):  # type: ignore[index]
            fail(f"{where}.image", sidecar.image, IMAGE_RULE.replace("<ecr_repository>", ecr_repository))
        for container in sidecar.depends_on:
            if container == sidecar.name or container not in (APP_CONTAINER, *names):
                fail(f"{where}.depends_on", container, f"expected another container of the task: {', '.join([APP_CONTAINER, *names])}")
        taken = {container_port, *(port for other in sidecars if other is not sidecar for port in other.ports)}
        for port in sidecar.ports:
            if port in taken:
                fail(f"{where}.ports", port, "expected a port no other container of the task listens on")
    _check_dependencies(sidecars, app_health_checked=app_health_checked)
    for size, total, unit in (("cpu", task_cpu, "CPU units"), ("memory", task_memory, "MiB")):
        used = sum(getattr(sidecar, size) for sidecar in sidecars)
        if sidecars and used >= total:
            fail(
                "sidecars",
                f"{used} {unit}",
                f"the sidecars take all of task_{size} ({total}) and leave the service's container none: raise task_{size} "
                "(with a Fargate size that allows it) or give the sidecars less",
            )
