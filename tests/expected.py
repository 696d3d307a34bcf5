"""What an operator relies on in each environment of the defaults, written out as literals.

These are the expectations the stack tests compare the synthesized JSON with; they are deliberately not read from
stacks/config.py, so a change of the environment table shows up as a failing test to review. A new environment needs
its column here (tests/stacks/test_wallet_stack.py::test_every_environment_has_literal_expectations says so).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Expected:
    environment: str
    tier: str
    desired: int
    min_tasks: int
    max_tasks: int
    db_class: str
    storage: int
    max_storage: int | None
    """None: storage autoscaling off."""
    multi_az: bool
    protected: bool
    """Deletion protection, final snapshot, automated backups kept."""
    prevent_destroy: bool
    db_at_once: bool
    """Database changes applied during the deploy (apply_immediately), not in the maintenance window."""
    backup_days: int
    log_days: int
    https: bool
    ecs_exec: bool
    alb_protected: bool
    access_logs: bool
    capacity: list[dict[str, object]]
    """The service's capacity provider strategy (on-demand only: FARGATE alone; never a launch type)."""
    endpoint_azs: int | None
    """AZs that get the interface endpoints; None: every private subnet's."""
    strategy: str
    """The service's deployment strategy (deployment_configuration.strategy)."""
    deploy_timeout: str
    """How long an apply waits for the service's deployment (its create and update timeouts)."""

    @property
    def spot(self) -> tuple[int, int]:
        """fargate_spot_percent and fargate_on_demand_base, as the capacity provider strategy shows them."""
        weights = {item["capacity_provider"]: item for item in self.capacity}
        total = sum(int(str(item["weight"])) for item in weights.values())
        spot = int(str(weights["FARGATE_SPOT"]["weight"])) * 100 // total if "FARGATE_SPOT" in weights and total else 0
        return spot, int(str(weights.get("FARGATE", {}).get("base", 0)))


class ExpectedTable(dict[str, Expected]):
    def __missing__(self, stack: str) -> Expected:
        raise KeyError(f"{stack} has no literal expectations: add its entry to EXPECTED in tests/expected.py")


EXPECTED = ExpectedTable({
    "wallet-dev": Expected(
        environment="dev", tier="development", desired=1, min_tasks=1, max_tasks=2, db_class="db.t3.micro", storage=20,
        max_storage=None, multi_az=False, protected=False, prevent_destroy=False, db_at_once=True, backup_days=1, log_days=7, https=False,
        ecs_exec=True, alb_protected=False, access_logs=False,
        capacity=[{"capacity_provider": "FARGATE_SPOT", "weight": 100}], endpoint_azs=1,
        strategy="ROLLING", deploy_timeout="22m",
    ),
    "wallet-staging": Expected(
        environment="staging", tier="pre-production", desired=2, min_tasks=2, max_tasks=4, db_class="db.t3.small", storage=50,
        max_storage=100, multi_az=False, protected=True, prevent_destroy=False, db_at_once=True, backup_days=7, log_days=30, https=False,
        ecs_exec=False, alb_protected=False, access_logs=False,
        capacity=[{"capacity_provider": "FARGATE", "base": 1, "weight": 0}, {"capacity_provider": "FARGATE_SPOT", "weight": 100}],
        endpoint_azs=None, strategy="CANARY", deploy_timeout="37m",
    ),
    "wallet-prod": Expected(
        environment="prod", tier="production", desired=2, min_tasks=2, max_tasks=10, db_class="db.t3.small", storage=100,
        max_storage=500, multi_az=True, protected=True, prevent_destroy=True, db_at_once=False, backup_days=35, log_days=365, https=True,
        ecs_exec=False, alb_protected=True, access_logs=True, capacity=[{"capacity_provider": "FARGATE", "weight": 100}],
        endpoint_azs=None,
        strategy="CANARY", deploy_timeout="37m",
    ),
})  # fmt: skip


# The sidecar example of docs/architecture.md#sidecars, as a team puts it in cdktf.json: the AWS Distro for OpenTelemetry
# collector sending traces to X-Ray. tests/stacks/test_sidecars.py synthesizes it and compares that one with it; the
# emulated account's first environment applies it (tests/emulator/lifecycle.py, step "sidecar").
ADOT_COLLECTOR = {
    "name": "otel-collector",
    "image": "ecr-public/aws-observability/aws-otel-collector:v0.28.0",
    "cpu": 64,
    "memory": 128,
    "command": ["--config=/etc/ecs/ecs-xray.yaml"],
    "ports": [4317, 4318],
    "health_check": ["CMD", "/healthcheck"],
    "iam_actions": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
    "aws_services": ["xray"],
}


def stack_choices() -> str:
    """How an unknown environment's error names the known ones: the stacks, then their short names, in table order."""
    return f"{', '.join(EXPECTED)} (or {', '.join(e.environment for e in EXPECTED.values())})"
