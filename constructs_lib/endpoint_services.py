"""The AWS services the tasks reach through interface endpoints, by endpoint id -> service name (no cdktf import, so
release/preflight.py can check a VPC for the same endpoints before the first plan)."""

from __future__ import annotations

# ECR's API and registry (image manifests), the awslogs driver, ECS secrets injection: what a task needs to start.
INTERFACE_SERVICES = {"ecr_api": "ecr.api", "ecr_dkr": "ecr.dkr", "logs": "logs", "secretsmanager": "secretsmanager"}
# The Session Manager channel of ECS Exec sessions.
ECS_EXEC_SERVICES = {"ssmmessages": "ssmmessages"}


def interface_services(*, ecs_exec: bool, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The interface endpoints a stack creates: endpoint id -> service name (com.amazonaws.<region>.<name>); ``extra``:
    more services by name (what sidecars call, e.g. xray)."""
    base = {**INTERFACE_SERVICES, **(ECS_EXEC_SERVICES if ecs_exec else {})}
    # A service already there keeps its endpoint; S3 is the gateway endpoint's (an interface endpoint would be a second).
    more = {f"sidecar_{service.replace('.', '_').replace('-', '_')}": service for service in extra if service not in (*base.values(), "s3")}
    return {**base, **more}
