"""The cost estimate reads the synthesized stacks: counts from the JSON, prices from the table."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from costs import estimate
from stacks import config, reference
from tests.conftest import Build

PRICES = tomllib.loads(estimate.PRICES.read_text())


def test_dev_by_hand(parsed: dict[str, dict[str, Any]]) -> None:
    dev = estimate.estimate("dev", "development", parsed["wallet-dev"], PRICES, azs=2)
    assert dev.groups == pytest.approx(
        {
            "compute": 1 * 730 * (0.25 * 0.04048 + 0.5 * 0.004445),
            "database": 730 * 0.018 + 20 * 0.115 + 0.40,
            "edge": 730 * (0.0225 + 0.008) + 5.00 + 4 * 1.00 + 0.1 * 0.60,
            "network": 5 * 2 * 730 * 0.01,  # with dev's ECS Exec endpoint
            "observability": 13 * 0.10 + 3.00 + 3 * 1.00 + 1 * 0.50,  # keys: logs, alarms, database
        }
    )


def test_prod_pays_twice_for_multi_az(parsed: dict[str, dict[str, Any]]) -> None:
    prod = estimate.estimate("prod", "production", parsed["wallet-prod"], PRICES, azs=3)
    database = {what: monthly for group, what, monthly in prod.lines if group == "database"}
    assert database["RDS db.t3.small Multi-AZ"] == pytest.approx(2 * 730 * 0.036)
    assert database["gp3 storage 100 GiB"] == pytest.approx(2 * 100 * 0.115)
    assert prod.groups["network"] == pytest.approx(4 * 3 * 730 * 0.01)
    assert prod.groups["compute"] == pytest.approx(2 * 730 * (0.25 * 0.04048 + 0.5 * 0.004445))


def test_usage_assumptions_and_classes_cover_the_environment_table() -> None:
    """Every tier has its assumptions and every default class its price, so a new environment is priced."""
    assert set(PRICES["waf"]["assumed_million_requests"]) == set(PRICES["observability"]["logs_ingested_gb"]) == set(config.TIERS)
    assert {c.db_instance_class for c in config.ENVIRONMENTS} <= set(PRICES["rds"]["instance_hour"])


def table_rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.startswith(("group", "total"))]


def test_command_prints_every_environment(effective_build: Build, capsys: pytest.CaptureFixture[str]) -> None:
    """The configuration the user deploys (cdktf.json) is priced, every environment in table order."""
    assert estimate.main(["--outdir", str(effective_build.outdir)]) == 0
    header, total = table_rows(capsys.readouterr().out)
    assert header == ["group", *(c.environment for c in config.ENVIRONMENTS)]
    assert total[0] == "total" and all(float(value) > 0 for value in total[1:])


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
