"""Every numeric limit of a setting, from both sides (issue 22, item 7): the last value accepted is taken, the first
value beyond it is refused with its one line naming the field. The limits are written here as the literals an operator
relies on, never read back from stacks/config.py, stacks/rules.py or stacks/sidecar.py: a limit moved by one turns a
test red.

Each case sets, besides the value under test, the settings the limit depends on (a capacity's neighbours, the retention
a lock bound follows, the strategy a bake counts for), so it holds for any environment of a tier and any context a team
keeps in cdktf.json."""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import pytest

from stacks import config
from stacks.errors import ConfigError
from stacks.sidecar import Sidecar
from tests.expected import ADOT_COLLECTOR, EXPECTED


def stack_of(tier: str) -> str:
    """The first environment of ``tier`` in tests/expected.py."""
    return next(stack for stack, expected in EXPECTED.items() if expected.tier == tier)


def loaded(stack: str, settings: dict[str, Any]) -> config.EnvironmentConfig:
    [chosen] = [c for c in config.load({stack: settings}) if c.stack_name == stack]
    return chosen


def refusal(stack: str, settings: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        config.load({stack: settings})
    return str(raised.value)


CAPACITY = {"min_capacity": 1, "desired_count": 1, "max_capacity": 100}
STORAGE = {"db_allocated_storage": 20, "db_max_allocated_storage": 65536}
NO_BACKUP = {"aws_backup": False, "restore_testing": False, "backup_copy_region": None, "backup_copy_vault_arn": None}
RETENTION = {**NO_BACKUP, "backup_retention_days": 20, "backup_vault_lock_min_days": 1, "backup_vault_lock_max_days": 36500}
ROLLING: dict[str, Any] = {"deployment_strategy": "rolling", "test_listener_port": None, "test_listener_cidrs": []}
TEST_LISTENER = {"deployment_strategy": "canary", "test_listener_cidrs": ["10.0.0.0/8"]}
ON_DEMAND = {"fargate_spot_percent": 0, "fargate_on_demand_base": 0, "cpu_architecture": "X86_64"}
SPOT = {"fargate_spot_percent": 50, "cpu_architecture": "X86_64"}
WHOLE = "expected a whole number from {} to {}"
STEPS = "expected {} to 100 in steps of 0.1"
LOG_DAYS = (
    "expected one of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
    "2922, 3288, 3653"
)
TAG = "expected 1-256 tag characters"
TAG_KEY = "expected 1-128 tag characters"


class Limit(NamedTuple):
    tier: str
    field: str
    base: dict[str, Any]
    """The settings the limit depends on."""
    accepted: Any
    """The last value accepted."""
    refused: Any
    """The first value refused."""
    allowed: str
    """What the refusal says is allowed."""


# (tier, field, base, last accepted, first refused, allowed)
CASES: list[tuple[str, str, dict[str, Any], Any, Any, str]] = [
    # Tasks: each count 1-100, min <= desired <= max.
    ("development", "min_capacity", CAPACITY, 1, 0, WHOLE.format(1, 100)),
    ("development", "min_capacity", {**CAPACITY, "desired_count": 100}, 100, 101, WHOLE.format(1, 100)),
    ("development", "desired_count", CAPACITY, 1, 0, WHOLE.format(1, 100)),
    ("development", "desired_count", CAPACITY, 100, 101, WHOLE.format(1, 100)),
    ("development", "max_capacity", {**CAPACITY, "desired_count": 1}, 100, 101, WHOLE.format(1, 100)),
    ("development", "max_capacity", {"min_capacity": 1, "desired_count": 1}, 1, 0, WHOLE.format(1, 100)),
    ("development", "min_capacity", {"desired_count": 5, "max_capacity": 5}, 5, 6, "expected at most max_capacity (5)"),
    ("development", "desired_count", {"min_capacity": 3, "max_capacity": 5}, 3, 2, "expected from min_capacity (3) to max_capacity (5)"),
    ("development", "desired_count", {"min_capacity": 3, "max_capacity": 5}, 5, 6, "expected from min_capacity (3) to max_capacity (5)"),
    # Database storage (GiB) 20-65536, the ceiling at least the allocation; retention 1-35 days.
    ("development", "db_allocated_storage", STORAGE, 20, 19, WHOLE.format(20, 65536)),
    ("development", "db_allocated_storage", STORAGE, 65536, 65537, WHOLE.format(20, 65536)),
    ("development", "db_max_allocated_storage", STORAGE, 65536, 65537, WHOLE.format(20, 65536)),
    ("development", "db_max_allocated_storage", STORAGE, 20, 19, WHOLE.format(20, 65536)),
    ("development", "db_max_allocated_storage", {"db_allocated_storage": 50}, 50, 49, "expected at least db_allocated_storage (50)"),
    ("development", "db_backup_retention_days", NO_BACKUP, 1, 0, WHOLE.format(1, 35)),
    ("development", "db_backup_retention_days", NO_BACKUP, 35, 36, WHOLE.format(1, 35)),
    # AWS Backup: retention 7-35 days; the lock's bounds 1-retention and retention-36500.
    ("development", "backup_retention_days", {**RETENTION, "backup_vault_lock_max_days": 36500}, 7, 6, WHOLE.format(7, 35)),
    ("development", "backup_retention_days", RETENTION, 35, 36, WHOLE.format(7, 35)),
    ("development", "backup_vault_lock_min_days", RETENTION, 1, 0, WHOLE.format(1, 20)),
    ("development", "backup_vault_lock_min_days", RETENTION, 20, 21, WHOLE.format(1, 20)),
    ("development", "backup_vault_lock_max_days", RETENTION, 20, 19, WHOLE.format(20, 36500)),
    ("development", "backup_vault_lock_max_days", RETENTION, 36500, 36501, WHOLE.format(20, 36500)),
    ("development", "restore_testing_validation_hours", NO_BACKUP, 1, 0, WHOLE.format(1, 168)),
    ("development", "restore_testing_validation_hours", NO_BACKUP, 168, 169, WHOLE.format(1, 168)),
    # Logs: CloudWatch's retention values; the production tier keeps a year at least.
    ("development", "log_retention_days", {}, 1, 0, LOG_DAYS),
    ("development", "log_retention_days", {}, 3653, 3654, LOG_DAYS),
    ("pre-production", "log_retention_days", {}, 1, 2, LOG_DAYS),
    ("production", "log_retention_days", {}, 365, 180, "the production tier keeps logs at least 365 days"),
    ("production", "log_retention_days", {}, 3653, 3654, LOG_DAYS),
    # The service.
    ("development", "container_port", {}, 1, 0, WHOLE.format(1, 65535)),
    ("development", "container_port", {}, 65535, 65536, WHOLE.format(1, 65535)),
    ("development", "health_check_grace_seconds", {}, 0, -1, WHOLE.format(0, 2147483647)),
    ("development", "waf_rate_limit_per_5_minutes", {}, 10, 9, WHOLE.format(10, 2000000000)),
    ("development", "waf_rate_limit_per_5_minutes", {}, 2000000000, 2000000001, WHOLE.format(10, 2000000000)),
    ("development", "fargate_spot_percent", ON_DEMAND, 0, -1, WHOLE.format(0, 100)),
    ("development", "fargate_spot_percent", ON_DEMAND, 100, 101, WHOLE.format(0, 100)),
    ("development", "fargate_on_demand_base", SPOT, 0, -1, WHOLE.format(0, 100)),
    ("development", "fargate_on_demand_base", SPOT, 100, 101, WHOLE.format(0, 100)),
    ("development", "vpc_endpoint_azs", {"private_subnet_ids": []}, 1, 0, WHOLE.format(1, 6)),
    ("development", "vpc_endpoint_azs", {"private_subnet_ids": []}, 6, 7, WHOLE.format(1, 6)),
    ("development", "vpc_endpoint_azs", {"private_subnet_ids": ["subnet-12345678", "subnet-87654321"]}, 2, 3,
     "expected at most the 2 private_subnet_ids, or null"),
    # Deployments: the ECS API's ranges.
    ("development", "canary_percent", {}, 0.1, 0.0, STEPS.format("0.1")),
    ("development", "canary_percent", {}, 100, 100.1, STEPS.format("0.1")),
    ("development", "linear_step_percent", {}, 3, 2.9, STEPS.format("3")),
    ("development", "linear_step_percent", {}, 100, 100.1, STEPS.format("3")),
    ("development", "canary_bake_minutes", ROLLING, 0, -1, WHOLE.format(0, 1440)),
    ("development", "canary_bake_minutes", ROLLING, 1440, 1441, WHOLE.format(0, 1440)),
    ("development", "linear_step_bake_minutes", ROLLING, 0, -1, WHOLE.format(0, 1440)),
    ("development", "linear_step_bake_minutes", ROLLING, 1440, 1441, WHOLE.format(0, 1440)),
    ("development", "deployment_bake_minutes", ROLLING, 0, -1, WHOLE.format(0, 1440)),
    ("development", "deployment_bake_minutes", ROLLING, 1440, 1441, WHOLE.format(0, 1440)),
    ("development", "test_listener_port", TEST_LISTENER, 1, 0, WHOLE.format(1, 65535)),
    ("development", "test_listener_port", TEST_LISTENER, 65535, 65536, WHOLE.format(1, 65535)),
    ("development", "test_listener_port", TEST_LISTENER, 79, 80, "expected a port other than the production listeners' 80 and 443"),
    ("development", "test_listener_port", TEST_LISTENER, 81, 80, "expected a port other than the production listeners' 80 and 443"),
    ("development", "test_listener_port", TEST_LISTENER, 442, 443, "expected a port other than the production listeners' 80 and 443"),
    ("development", "test_listener_port", TEST_LISTENER, 444, 443, "expected a port other than the production listeners' 80 and 443"),
    ("development", "deregistration_delay_seconds", {}, 0, -1, WHOLE.format(0, 3600)),
    ("development", "slow_start_seconds", {}, 0, -1, "expected 0 (off) or 30 to 900"),
    ("development", "slow_start_seconds", {}, 30, 29, "expected 0 (off) or 30 to 900"),
    ("development", "slow_start_seconds", {}, 900, 901, "expected 0 (off) or 30 to 900"),
    ("development", "deploy_alarm_min_requests", {}, 1, 0, WHOLE.format(1, 1000000)),
    ("development", "deploy_alarm_min_requests", {}, 1000000, 1000001, WHOLE.format(1, 1000000)),
    # Lengths: names and tags as AWS and PostgreSQL take them.
    ("development", "db_app_user", {}, "a" * 63, "a" * 64,
     "expected a PostgreSQL role name: a lowercase letter, then up to 62 of a-z 0-9 _"),
    ("development", "image_tag", {}, "v" * 128, "v" * 129,
     "expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -"),
    ("development", "health_check_path", {}, "/" + "h" * 1023, "/" + "h" * 1024, "expected a URL path starting with '/'"),
    ("development", "project", {}, "p" * 256, "p" * 257, TAG),
    ("development", "owner", {}, "o" * 256, "o" * 257, TAG),
    ("development", "cost_center", {}, "c" * 256, "c" * 257, TAG),
    ("development", "private_subnet_ids", {"vpc_endpoint_azs": None}, ["subnet-12345678", "subnet-87654321"], ["subnet-12345678"],
     "expected at least two distinct subnets (two Availability Zones), or none"),
    ("development", "public_subnet_ids", {}, ["subnet-12345678", "subnet-87654321"], ["subnet-12345678"],
     "expected at least two distinct subnets (two Availability Zones), or none"),
]  # fmt: skip
LIMITS = [Limit(*case) for case in CASES]


@pytest.mark.parametrize(
    "limit", LIMITS, ids=[f"{c.tier}-{c.field}-{c.accepted if len(str(c.accepted)) < 12 else len(c.accepted)}" for c in LIMITS]
)
def test_the_last_value_is_taken_and_the_next_refused(limit: Limit) -> None:
    stack = stack_of(limit.tier)
    value = getattr(loaded(stack, {**limit.base, limit.field: limit.accepted}), limit.field)
    assert value == (tuple(limit.accepted) if isinstance(limit.accepted, list) else limit.accepted)
    line = refusal(stack, {**limit.base, limit.field: limit.refused})
    assert line == f"{stack}: {limit.field}: {limit.refused!r} is not valid; {limit.allowed}"


ID_RULES = {
    "vpc_id": "expected 'vpc-' followed by 8 or 17 hex digits",
    "private_subnet_ids": "expected 'subnet-' followed by 8 or 17 hex digits",
    "public_subnet_ids": "expected 'subnet-' followed by 8 or 17 hex digits",
    "allowed_account_ids": "expected 12-digit AWS account ids",
}


@pytest.mark.parametrize(
    ("field", "accepted", "refused"),
    [
        ("vpc_id", "vpc-0123abcd", "vpc-0123abc"),
        ("vpc_id", "vpc-0123abcd", "vpc-0123abcde"),
        ("vpc_id", "vpc-0123456789abcdef0", "vpc-0123456789abcdef01"),
        ("private_subnet_ids", "subnet-0123abcd", "subnet-0123abc"),
        ("private_subnet_ids", "subnet-0123abcd", "subnet-0123abcde"),
        ("private_subnet_ids", "subnet-0123456789abcdef0", "subnet-0123456789abcdef01"),
        ("public_subnet_ids", "subnet-0123abcd", "subnet-0123abcde"),
        ("public_subnet_ids", "subnet-0123456789abcdef0", "subnet-0123456789abcdef"),
        ("allowed_account_ids", "123456789012", "12345678901"),
        ("allowed_account_ids", "123456789012", "1234567890123"),
    ],
)
def test_ids_of_exactly_their_lengths(field: str, accepted: str, refused: str) -> None:
    """VPC and subnet ids: 8 or 17 hex digits; accounts: 12 digits. Subnets come two at a time."""
    stack = stack_of("development")

    def setting(value: str) -> str | list[str]:
        return value if field == "vpc_id" else [value, "subnet-0fedcba9"] if field.endswith("subnet_ids") else [value]

    chosen = loaded(stack, {"vpc_endpoint_azs": None, field: setting(accepted)})
    assert getattr(chosen, field) == (accepted if field == "vpc_id" else tuple(setting(accepted)))
    assert refusal(stack, {"vpc_endpoint_azs": None, field: setting(refused)}) == (
        f"{stack}: {field}: {refused!r} is not valid; {ID_RULES[field]}"
    )


def test_every_cloudwatch_retention_and_no_day_between() -> None:
    stack = stack_of("development")
    days = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
    for day in days:
        assert loaded(stack, {"log_retention_days": day}).log_retention_days == day
    for day in sorted({d + 1 for d in days} | {d - 1 for d in days} - set(days)):
        assert refusal(stack, {"log_retention_days": day}) == f"{stack}: log_retention_days: {day} is not valid; {LOG_DAYS}"


@pytest.mark.parametrize("field", ["certificate_tags", "private_subnet_tags", "public_subnet_tags"])
def test_tag_filters_take_aws_tag_lengths(field: str) -> None:
    """Keys 1-128 characters, values 1-256."""
    stack = stack_of("development")
    longest = {"k" * 128: "v" * 256}
    assert getattr(loaded(stack, {field: longest}), field) == longest
    assert refusal(stack, {field: {"k" * 129: "v"}}) == f"{stack}: {field} key: {'k' * 129!r} is not valid; {TAG_KEY}"
    assert refusal(stack, {field: {"Name": "v" * 257}}) == f"{stack}: {field}['Name']: {'v' * 257!r} is not valid; {TAG}"
    assert refusal(stack, {field: {"Name": ""}}) == f"{stack}: {field}['Name']: '' is not valid; {TAG}"


def test_the_state_bucket_name_is_3_to_63_characters() -> None:
    """Set once for every environment (the shared key), which names the refusal."""
    rule = "expected an S3 bucket name: 3-63 lowercase letters, digits, hyphens"
    for accepted in ("abc", "a" * 63):
        assert {c.state_bucket for c in config.load({"wallet": {"state_bucket": accepted}})} == {accepted}
    for refused in ("ab", "a" * 64):
        assert refusal_shared({"state_bucket": refused}) == f"wallet: state_bucket: {refused!r} is not valid; {rule}"


def refusal_shared(settings: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        config.load({"wallet": settings})
    return str(raised.value)


def test_a_copy_vaults_name_is_2_to_50_characters() -> None:
    stack = stack_of("production")
    region = loaded(stack, {}).region  # the vault in the stack's Region: RDS copies across accounts or Regions, not both
    arn = f"arn:aws:backup:{region}:210987654321:backup-vault:"
    rule = "expected a vault ARN such as 'arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies'"
    for name in ("ab", "v" * 50):
        assert loaded(stack, {"aws_backup": True, "backup_copy_vault_arn": arn + name}).backup_copy_vault_arn == arn + name
    for name in ("a", "v" * 51):
        assert refusal(stack, {"aws_backup": True, "backup_copy_vault_arn": arn + name}) == (
            f"{stack}: backup_copy_vault_arn: {arn + name!r} is not valid; {rule}"
        )


def test_environment_names_are_2_to_12_characters() -> None:
    """The table's own field (no override changes it): an edit of the table is checked."""
    default = config.DEFAULTS[next(iter(EXPECTED))]
    rule = "expected 2-12 lowercase letters and digits, starting with a letter"
    for accepted in ("ab", "a" * 12):
        assert dataclasses.replace(default, environment=accepted).environment == accepted
    for refused in ("a", "a" * 13):
        with pytest.raises(ConfigError) as raised:
            dataclasses.replace(default, environment=refused)
        assert str(raised.value) == f"environment: {refused!r} is not valid; {rule}"


# The alarm thresholds: above 0; a percentage at most 100.
PERCENT_ALARMS = ["alarm_service_cpu_percent", "alarm_service_memory_percent", "alarm_db_cpu_percent", "alarm_deploy_5xx_percent"]
OTHER_ALARMS = [
    "alarm_db_connections", "alarm_db_free_storage_gib", "alarm_db_read_latency_seconds", "alarm_db_write_latency_seconds",
    "alarm_http_5xx_per_minute", "alarm_response_time_seconds", "alarm_requests_per_minute", "alarm_deploy_p99_seconds",
]  # fmt: skip


def test_every_alarm_threshold_is_tested_here() -> None:
    assert sorted(f.name for f in dataclasses.fields(config.EnvironmentConfig) if "alarms" in f.metadata) == sorted(
        PERCENT_ALARMS + OTHER_ALARMS
    )


@pytest.mark.parametrize("field", PERCENT_ALARMS)
def test_a_percentage_threshold_is_above_0_and_at_most_100(field: str) -> None:
    stack = stack_of("development")
    for accepted in (0.1, 100):
        assert getattr(loaded(stack, {field: accepted}), field) == accepted
    for refused in (0, 100.1):
        assert refusal(stack, {field: refused}) == f"{stack}: {field}: {refused!r} is not valid; expected a number above 0 and at most 100"


@pytest.mark.parametrize("field", OTHER_ALARMS)
def test_another_threshold_is_any_number_above_0(field: str) -> None:
    stack = stack_of("development")
    for accepted in (0.001, 1000000000):
        assert getattr(loaded(stack, {field: accepted}), field) == accepted
    for refused in (0, -1):
        assert refusal(stack, {field: refused}) == f"{stack}: {field}: {refused!r} is not valid; expected a number above 0"


# Fargate's task sizes: CPU units -> the least and the most memory (MiB) with it, and its step.
FARGATE_SIZES = [(256, 512, 2048, 512), (512, 1024, 4096, 1024), (1024, 2048, 8192, 1024), (2048, 4096, 16384, 1024),
                 (4096, 8192, 30720, 1024), (8192, 16384, 61440, 4096), (16384, 32768, 122880, 8192)]  # fmt: skip


@pytest.mark.parametrize(("cpu", "least", "most", "step"), FARGATE_SIZES, ids=[str(size[0]) for size in FARGATE_SIZES])
def test_each_task_cpu_takes_its_memory_range(cpu: int, least: int, most: int, step: int) -> None:
    stack = stack_of("development")
    allowed = (
        f"with task_cpu {cpu} Fargate accepts 512, 1024, 2048"
        if cpu == 256
        else f"with task_cpu {cpu} Fargate accepts {least} to {most} MiB in steps of {step}"
    )
    for memory in (least, most, least + step):
        assert (loaded(stack, {"task_cpu": cpu, "task_memory": memory}).task_memory, memory) == (memory, memory)
    for memory in (least - step, most + step, least + step // 2):
        assert refusal(stack, {"task_cpu": cpu, "task_memory": memory}) == f"{stack}: task_memory: {memory} is not valid; {allowed}"


@pytest.mark.parametrize("cpu", [128, 255, 257, 32768])
def test_task_cpu_is_one_of_fargates_sizes(cpu: int) -> None:
    stack = stack_of("development")
    assert refusal(stack, {"task_cpu": cpu}) == (
        f"{stack}: task_cpu: {cpu} is not valid; expected one of 256, 512, 1024, 2048, 4096, 8192, 16384"
    )


# Sidecars (stacks/sidecar.py), in a task with room for them: 16384 CPU units, 122880 MiB.
BIG_TASK = {"task_cpu": 16384, "task_memory": 122880}
SIDECAR = {**ADOT_COLLECTOR, "ports": [], "cpu": 64, "memory": 128}

SIDECAR_LIMITS: list[tuple[str, Any, Any, str]] = [
    ("cpu", 0, -1, WHOLE.format(0, 16384)),
    ("memory", 6, 5, WHOLE.format(6, 122880)),
    ("ports", [1], [0], WHOLE.format(1, 65535)),
    ("ports", [65535], [65536], WHOLE.format(1, 65535)),
    ("name", "n" * 63, "n" * 64, "expected 1-63 of a-z 0-9 -, starting with a letter"),
    (
        "image",
        "ecr-public/a/b:" + "t" * 128,
        "ecr-public/a/b:" + "t" * 129,
        "expected '<ecr_repository>:<tag>' (the project's repository, resolved to its digest at plan time) or "
        "'ecr-public/<alias>/<repository>:<tag>' or '@sha256:<digest>' (ECR Public through the stack's pull-through cache): the tasks "
        "reach no other registry",
    ),
]


@pytest.mark.parametrize(("field", "accepted", "refused", "allowed"), SIDECAR_LIMITS, ids=[f"{f}-{a}"[:30] for f, a, *_ in SIDECAR_LIMITS])
def test_a_sidecars_last_value_is_taken_and_the_next_refused(field: str, accepted: Any, refused: Any, allowed: str) -> None:
    stack = stack_of("development")
    [sidecar] = loaded(stack, {**BIG_TASK, "sidecars": [{**SIDECAR, field: accepted}]}).sidecars
    assert getattr(sidecar, field) == (tuple(accepted) if isinstance(accepted, list) else accepted)
    line = refusal(stack, {**BIG_TASK, "sidecars": [{**SIDECAR, field: refused}]})
    shown = refused[0] if field == "ports" else refused
    assert line == f"{stack}: sidecars[0].{field}: {shown!r} is not valid; {allowed}"


def test_a_sidecar_takes_at_most_the_largest_task() -> None:
    """16384 CPU units and 122880 MiB are a sidecar's own limits (more is refused); the task's share is below."""
    Sidecar(name="big", image="ecr-public/a/b:1", cpu=16384, memory=122880)
    stack = stack_of("development")
    for field, refused, high in (("cpu", 16385, 16384), ("memory", 122881, 122880)):
        low = 0 if field == "cpu" else 6
        line = refusal(stack, {**BIG_TASK, "sidecars": [{**SIDECAR, field: refused}]})
        assert line == f"{stack}: sidecars[0].{field}: {refused} is not valid; expected a whole number from {low} to {high}"


@pytest.mark.parametrize(("size", "total", "unit"), [("cpu", 1024, "CPU units"), ("memory", 2048, "MiB")])
def test_the_sidecars_together_leave_the_service_at_least_one_unit(size: str, total: int, unit: str) -> None:
    """All sidecars count: two of half the task less one between them leave one unit; two halves leave none."""
    stack = stack_of("development")
    task = {"task_cpu": 1024, "task_memory": 2048}
    halves = [{**SIDECAR, "name": "one", size: total // 2}, {**SIDECAR, "name": "two", size: total // 2 - 1}]
    assert sum(getattr(s, size) for s in loaded(stack, {**task, "sidecars": halves}).sidecars) == total - 1
    halves[1][size] = total // 2
    assert refusal(stack, {**task, "sidecars": halves}) == (
        f"{stack}: sidecars: '{total} {unit}' is not valid; the sidecars take all of task_{size} ({total}) and leave the service's "
        f"container none: raise task_{size} (with a Fargate size that allows it) or give the sidecars less"
    )


@pytest.mark.parametrize(
    ("command", "accepted"),
    [
        (["CMD", "/healthcheck"], True),
        (["CMD"], False),
        (["CMD-SHELL", "curl -f http://localhost/ || exit 1"], True),
        (["CMD-SHELL"], False),
        (["CMD-SHELL", "curl", "-f"], False),
    ],
)
def test_health_check_commands_have_their_lengths(command: list[str], accepted: bool) -> None:
    """["CMD", executable, arguments...]: at least two; ["CMD-SHELL", command]: exactly two. The service's container
    (app_health_check) and a sidecar's (health_check) follow the same rule."""
    stack = stack_of("development")
    rule = "expected ['CMD', <executable>, <arguments>...] or ['CMD-SHELL', <command>], of non-empty strings"
    if accepted:
        assert loaded(stack, {"app_health_check": command}).app_health_check == tuple(command)
        assert loaded(stack, {"sidecars": [{**SIDECAR, "health_check": command}]}).sidecars[0].health_check == tuple(command)
    else:
        assert refusal(stack, {"app_health_check": command}) == f"{stack}: app_health_check: {command!r} is not valid; {rule}"
        assert refusal(stack, {"sidecars": [{**SIDECAR, "health_check": command}]}) == (
            f"{stack}: sidecars[0].health_check: {command!r} is not valid; {rule}"
        )


# The deploy job waits for at most two deployments of (180 - 30 - 15) // 2 = 67 minutes each: a deployment's minutes are
# 20 of start-up, the health check grace and deregistration delay (rounded up to minutes) and the strategy's bakes.
BUDGET = (
    "with these bake times, grace period and deregistration delay a deployment may take {} minutes, and the deploy job (180 "
    "minutes, .github/workflows/deploy.yml) can wait 67 for each of a release's two: shorten the bake times (or raise the job's "
    "timeout-minutes, its role-duration-seconds and DEPLOY_JOB_MINUTES in stacks/config.py together)"
)


@pytest.mark.parametrize(
    ("base", "field", "accepted", "refused", "minutes"),
    [
        ({**ROLLING, "health_check_grace_seconds": 0}, "deregistration_delay_seconds", 2820, 2821, 68),
        ({**ROLLING, "deregistration_delay_seconds": 0}, "health_check_grace_seconds", 2820, 2821, 68),
        ({**TEST_LISTENER, "test_listener_cidrs": [], "canary_bake_minutes": 5, "health_check_grace_seconds": 60,
          "deregistration_delay_seconds": 30}, "deployment_bake_minutes", 40, 41, 68),
        ({"deployment_strategy": "canary", "deployment_bake_minutes": 10, "health_check_grace_seconds": 60,
          "deregistration_delay_seconds": 30}, "canary_bake_minutes", 35, 36, 68),
        ({"deployment_strategy": "linear", "linear_step_percent": 50, "deployment_bake_minutes": 10, "health_check_grace_seconds": 60,
          "deregistration_delay_seconds": 30}, "linear_step_bake_minutes", 35, 36, 68),
        ({"deployment_strategy": "linear", "linear_step_percent": 10, "linear_step_bake_minutes": 1, "deployment_bake_minutes": 0,
          "health_check_grace_seconds": 60, "deregistration_delay_seconds": 0}, "linear_step_bake_minutes", 5, 6, 75),
    ],
    ids=["deregistration", "grace", "deployment-bake", "canary-bake", "linear-bake-2-steps", "linear-bake-10-steps"],
)  # fmt: skip
def test_a_deployment_fits_the_deploy_jobs_wait(base: dict[str, Any], field: str, accepted: int, refused: int, minutes: int) -> None:
    stack = stack_of("development")
    assert getattr(loaded(stack, {**base, field: accepted}), field) == accepted
    strategy = base["deployment_strategy"]
    assert refusal(stack, {**base, field: refused}) == f"{stack}: deployment_strategy: {strategy!r} is not valid; {BUDGET.format(minutes)}"


@pytest.mark.parametrize(("field", "refused"), [("deregistration_delay_seconds", 3601), ("health_check_grace_seconds", 2147483648)])
def test_beyond_the_wait_the_api_limit_still_names_its_field(field: str, refused: int) -> None:
    """The API's own limits (3600 s, 2147483647 s) lie beyond what the deploy job can wait for: the last value of the
    API's range reaches the wait's rule, the next one the range's."""
    stack = stack_of("development")
    high = refused - 1
    settings = {**ROLLING, "health_check_grace_seconds": 0, "deregistration_delay_seconds": 0}
    assert refusal(stack, {**settings, field: high}).startswith(f"{stack}: deployment_strategy: 'rolling' is not valid; with these")
    assert (
        refusal(stack, {**settings, field: refused})
        == f"{stack}: {field}: {refused} is not valid; expected a whole number from 0 to {high}"
    )
