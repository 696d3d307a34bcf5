"""The cost estimate reads the synthesized stacks: counts from the JSON, prices from the table."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from costs import estimate

PRICES = tomllib.loads(estimate.PRICES.read_text())


def test_dev_by_hand(parsed: dict[str, dict[str, Any]]) -> None:
    dev = estimate.estimate("dev", parsed["wallet-dev"], PRICES, azs=2)
    assert dev.groups == pytest.approx(
        {
            "compute": 1 * 730 * (0.25 * 0.04048 + 0.5 * 0.004445),
            "database": 730 * 0.018 + 20 * 0.115 + 0.40,
            "edge": 730 * (0.0225 + 0.008) + 5.00 + 4 * 1.00 + 0.1 * 0.60,
            "network": 5 * 2 * 730 * 0.01,  # with dev's ECS Exec endpoint
            "observability": 13 * 0.10 + 3.00 + 2 * 1.00 + 1 * 0.50,
        }
    )


def test_prod_pays_twice_for_multi_az(parsed: dict[str, dict[str, Any]]) -> None:
    prod = estimate.estimate("prod", parsed["wallet-prod"], PRICES, azs=3)
    database = {what: monthly for group, what, monthly in prod.lines if group == "database"}
    assert database["RDS db.t3.small Multi-AZ"] == pytest.approx(2 * 730 * 0.036)
    assert database["gp3 storage 100 GiB"] == pytest.approx(2 * 100 * 0.115)
    assert prod.groups["network"] == pytest.approx(4 * 3 * 730 * 0.01)
    assert prod.groups["compute"] == pytest.approx(2 * 730 * (0.25 * 0.04048 + 0.5 * 0.004445))


def test_command_prints_every_environment(synth_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert estimate.main(["--outdir", str(synth_dir)]) == 0
    out = capsys.readouterr().out
    header, *rows = [line for line in out.splitlines() if line.startswith(("group", "total"))]
    assert header.split() == ["group", "dev", "staging", "prod"]
    assert rows[0].startswith("total")


def test_command_without_synth_output_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert estimate.main(["--outdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}/stacks/wallet-dev/cdk.tf.json: not found; run `pipenv run synth` first\n"
