"""The cost estimate reads the synthesized stacks: counts from the JSON, prices from the table."""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from costs import estimate
from stacks import config, reference
from tests.conftest import Build

PRICES = tomllib.loads(estimate.PRICES.read_text())


ON_DEMAND_TASK = 730 * (0.25 * 0.04048 + 0.5 * 0.004445)  # a month of 0.25 vCPU / 0.5 GB, X86_64
SPOT_TASK = 730 * (0.25 * 0.01334053 + 0.5 * 0.00146489)


def test_dev_by_hand(parsed: dict[str, dict[str, Any]]) -> None:
    dev = estimate.estimate("dev", "development", parsed["wallet-dev"], PRICES, azs=2)
    assert dev.groups == pytest.approx(
        {
            "compute": 1 * SPOT_TASK,  # all Spot
            "database": 730 * 0.018 + 20 * 0.115 + 0.40,
            "edge": 730 * (0.0225 + 0.008) + 5.00 + 4 * 1.00 + 0.1 * 0.60,
            "network": 5 * 1 * 730 * 0.01,  # with dev's ECS Exec endpoint, in the one AZ its JSON lists (not azs=2)
            # 12 one-metric alarms, and the rollback alarms over one target group: 5xx rate (requests, errors), p99 and
            # unhealthy hosts (a metric math alarm is billed per metric); keys: logs, alarms, database
            "observability": (12 + 2 + 1 + 1) * 0.10 + 3.00 + 3 * 1.00 + 1 * 0.50,
        }
    )
    assert "Fargate Spot at the recorded rate; it moves with supply and demand" in dev.assumptions


def test_staging_runs_one_task_on_demand_and_the_rest_on_spot(parsed: dict[str, dict[str, Any]]) -> None:
    staging = estimate.estimate("staging", "pre-production", parsed["wallet-staging"], PRICES, azs=2)
    compute = {what: monthly for group, what, monthly in staging.lines if group == "compute"}
    assert compute == pytest.approx(
        {"FARGATE: 1 x 0.25 vCPU / 0.5 GB X86_64": ON_DEMAND_TASK, "FARGATE_SPOT: 1 x 0.25 vCPU / 0.5 GB X86_64": SPOT_TASK}
    )
    assert staging.groups["network"] == pytest.approx(4 * 2 * 730 * 0.01)
    assert "interface endpoints in every AZ of the private subnets: 2 AZs (--azs)" in staging.assumptions


def test_defaults_meet_the_budget_and_each_saving_comes_from_the_json(defaults_build: Build) -> None:
    """dev at most 95 USD a month and staging below 148.72 (the estimates before Spot and per-environment endpoint
    AZs), with the rate-based rollback alarms that came after (3 more alarm metrics in dev, 7 in staging); prod's
    compute and network unchanged (its total grew with the rollback alarms and the backup vaults' keys). Putting
    dev's service back on the launch type and its endpoints back in every subnet, in the JSON alone, gives dev's
    136.98 of then plus those alarms again."""
    by_name = {e.environment: e for e in estimate.estimate_all(defaults_build.outdir)}
    dev, staging, prod = by_name["dev"], by_name["staging"], by_name["prod"]
    assert dev.total <= 95
    assert staging.total < 148.72
    assert (prod.groups["compute"], prod.groups["network"]) == pytest.approx((18.02, 58.40), abs=0.005)
    document = json.loads(json.dumps(defaults_build.parsed["wallet-dev"]))
    [service] = document["resource"]["aws_ecs_service"].values()
    del service["capacity_provider_strategy"]
    service["launch_type"] = "FARGATE"
    for endpoint in document["resource"]["aws_vpc_endpoint"].values():
        if endpoint["vpc_endpoint_type"] == "Interface":
            endpoint["subnet_ids"] = "${local.network_private_subnets_one_per_zone}"
    assert estimate.estimate("dev", "development", document, PRICES, azs=2).total == pytest.approx(136.98 + 3 * 0.10, abs=0.01)


def test_arm64_is_priced_and_arm64_on_spot_is_not(parsed: dict[str, dict[str, Any]]) -> None:
    document = json.loads(json.dumps(parsed["wallet-prod"]))
    for definition in document["resource"]["aws_ecs_task_definition"].values():
        definition["runtime_platform"]["cpu_architecture"] = "ARM64"
    prod = estimate.estimate("prod", "production", document, PRICES, azs=2)
    assert prod.groups["compute"] == pytest.approx(2 * 730 * (0.25 * 0.03238 + 0.5 * 0.00356))
    [service] = document["resource"]["aws_ecs_service"].values()
    service["capacity_provider_strategy"] = [{"capacity_provider": "FARGATE_SPOT", "weight": 100}]
    with pytest.raises(estimate.UnpricedError) as raised:
        estimate.estimate("prod", "production", document, PRICES, azs=2)
    assert str(raised.value) == ("FARGATE_SPOT vCPU of architecture 'ARM64' has no price in costs/prices-us-east-1.toml; priced: X86_64")


@pytest.mark.parametrize(
    ("desired", "strategy", "split"),
    [
        (3, [{"capacity_provider": "FARGATE", "base": 1, "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 1}],
         {"FARGATE": 2, "FARGATE_SPOT": 1}),
        (1, [{"capacity_provider": "FARGATE", "base": 2, "weight": 0}, {"capacity_provider": "FARGATE_SPOT", "weight": 100}],
         {"FARGATE": 1}),
        (4, [{"capacity_provider": "FARGATE_SPOT", "weight": 100}], {"FARGATE_SPOT": 4}),
        (5, [{"capacity_provider": "FARGATE", "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 3}],
         {"FARGATE": 1.25, "FARGATE_SPOT": 3.75}),
    ],
    ids=["base-then-even", "base-above-desired", "all-spot", "fractions"],
)  # fmt: skip
def test_tasks_split_as_ecs_places_them(desired: int, strategy: list[dict[str, Any]], split: dict[str, float]) -> None:
    assert estimate.task_split({"desired_count": desired, "capacity_provider_strategy": strategy}) == split


def test_prod_pays_twice_for_multi_az(parsed: dict[str, dict[str, Any]]) -> None:
    prod = estimate.estimate("prod", "production", parsed["wallet-prod"], PRICES, azs=3)
    database = {what: monthly for group, what, monthly in prod.lines if group == "database"}
    assert database["RDS db.t3.small Multi-AZ"] == pytest.approx(2 * 730 * 0.036)
    assert database["gp3 storage 100 GiB"] == pytest.approx(2 * 100 * 0.115)
    assert prod.groups["network"] == pytest.approx(4 * 3 * 730 * 0.01)
    assert prod.groups["compute"] == pytest.approx(2 * ON_DEMAND_TASK)


def test_prod_pays_for_its_restore_tests_by_the_hour(parsed: dict[str, dict[str, Any]]) -> None:
    """Mondays (365.25 / 12 / 7 a month), 4 hours of a db.t4g.micro holding the 100 GiB of the database; AWS Backup's
    own charge per test is named, not priced."""
    prod = estimate.estimate("prod", "production", parsed["wallet-prod"], PRICES, azs=2)
    database = {what: monthly for group, what, monthly in prod.lines if group == "database"}
    assert database["restore tests, 4.35 a month x 4 h db.t4g.micro"] == pytest.approx(30.4375 / 7 * 4 * (0.016 + 100 * 0.115 / 730))
    assert (
        "restore tests: AWS Backup's charge per restore test is not in the price table (aws.amazon.com/backup/pricing)" in prod.assumptions
    )
    staging = estimate.estimate("staging", "pre-production", parsed["wallet-staging"], PRICES, azs=2)
    assert not [what for _, what, _ in staging.lines if what.startswith("restore tests")]


@pytest.mark.parametrize(
    ("schedule", "runs"),
    [
        ("cron(0 7 ? * MON *)", 30.4375 / 7),
        ("cron(30 2 1 * ? *)", 1),
        ("cron(0 5 ? * * *)", 30.4375),
        ("cron(0 */6 ? * MON-FRI *)", 4 * 5 * 30.4375 / 7),
        ("cron(0 7 1,15 JAN,JUL ? *)", 2 * 2 / 12),
        ("cron(5/20 7 ? * MON *)", 3 * 30.4375 / 7),  # minutes 5, 25, 45
        ("cron(0 7 31 * ? *)", 7 / 12),  # seven months have a 31st
        ("cron(0 7 29-31 * ? *)", (12 * 3 - 5 - 1 - 0.75) / 12),  # no 31st in 5 months, no 30th in February, its 29th 1 year in 4
        ("cron(0 7 30 2 ? *)", 0),
        ("cron(0 7 L * ? *)", None),  # the last day of the month: not counted
        ("cron(0 7 ? * 2#1 *)", None),
        ("cron(0 7 ? * MON 2027)", None),  # one year only
        ("cron(0 7 ? * FRI-MON *)", None),  # a range backwards
        ("cron(0/0 7 ? * MON *)", None),
        ("cron(0 7 * * MON *)", None),  # both day fields set: AWS refuses it
        ("rate(7 days)", None),
    ],
)
def test_restore_test_runs_a_month_from_the_cron_fields(schedule: str, runs: float | None) -> None:
    assert estimate.runs_per_month(schedule) == (None if runs is None else pytest.approx(runs))


def test_usage_assumptions_and_classes_cover_the_environment_table() -> None:
    """Every tier has its assumptions and every default class its price, so a new environment is priced."""
    assert set(PRICES["waf"]["assumed_million_requests"]) == set(PRICES["observability"]["logs_ingested_gb"]) == set(config.TIERS)
    assert {c.db_instance_class for c in config.ENVIRONMENTS} <= set(PRICES["rds"]["instance_hour"])
    assert {c.restore_testing_db_instance_class for c in config.ENVIRONMENTS if c.restore_testing} <= set(PRICES["rds"]["instance_hour"])


def table_rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.startswith(("group", "total"))]


def test_command_prints_every_environment(effective_build: Build, capsys: pytest.CaptureFixture[str]) -> None:
    """The configuration the user deploys (cdktf.json) is priced, every environment in table order."""
    assert estimate.main(["--outdir", str(effective_build.outdir)]) == 0
    out = capsys.readouterr().out
    header, total = table_rows(out)
    assert header == ["group", *(c.environment for c in config.ENVIRONMENTS)]
    assert total[0] == "total" and all(float(value) > 0 for value in total[1:])
    for tier in {c.tier for c in config.ENVIRONMENTS}:  # each environment's usage assumptions are printed with it
        assert f"  assumed: {tier} usage: " in out


def test_an_unpriced_instance_class_is_one_line(defaults_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(defaults_build.outdir / "stacks", tmp_path / "stacks")
    path = tmp_path / "stacks" / "wallet-prod" / "cdk.tf.json"
    document = json.loads(path.read_text())
    document["resource"]["aws_db_instance"]["database_instance"]["instance_class"] = "db.x9z.huge"
    path.write_text(json.dumps(document))
    assert estimate.main(["--outdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "error: wallet-prod: RDS instance class 'db.x9z.huge' has no price in costs/prices-us-east-1.toml; priced: "
        "db.t3.micro, db.t3.small, db.t3.medium, db.t4g.micro, db.t4g.small, db.m6g.large\n"
    )


def test_readme_cost_table_is_the_estimate_of_the_defaults(defaults_build: Build) -> None:
    block = reference.readme_block(reference.README.read_text(), reference.COST_START, reference.COST_END)
    assert block == estimate.markdown(estimate.estimate_all(defaults_build.outdir)), "run `pipenv run docs` and commit README.md"


def test_command_without_synth_output_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert estimate.main(["--outdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}/stacks/wallet-dev/cdk.tf.json: not found; run `pipenv run synth` first\n"


def test_an_estimate_older_than_the_code_or_context_says_so(
    defaults_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Synthesized before cdktf.json or the code last changed: one warning line, and the estimate still printed."""
    shutil.copytree(defaults_build.outdir / "stacks", tmp_path / "stacks")
    assert estimate.main(["--outdir", str(tmp_path)]) == 0
    assert "warning" not in capsys.readouterr().err  # just synthesized: current
    for path in (tmp_path / "stacks").glob("*/cdk.tf.json"):
        os.utime(path, (0, 0))  # synthesized in 1970
    assert estimate.main(["--outdir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    newest = estimate.newer_input(tmp_path)
    assert newest is not None and newest.relative_to(estimate.PROJECT).parts[0] in ("cdktf.json", "main.py", "stacks", "constructs_lib")
    assert captured.err == (
        f"warning: {newest.relative_to(estimate.PROJECT)} changed after {tmp_path} was synthesized: this prices the stacks as they "
        "were; run `pipenv run synth` first for what you have now\n"
    )
    assert "total" in captured.out
