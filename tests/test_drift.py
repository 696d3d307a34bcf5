"""The drift job's summary of a plan (release/drift.py), on plans in Terraform's JSON format."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from release import drift

NO_OP = {"address": "aws_ecs_cluster.service_cluster", "change": {"actions": ["no-op"]}}
READ = {"address": "data.aws_vpc.network_vpc", "change": {"actions": ["read"]}}
UPDATE = {"address": "aws_cloudwatch_log_group.service_task_log_group", "change": {"actions": ["update"]}}
REPLACE = {"address": "aws_lb_target_group.load_balancer_target_group", "change": {"actions": ["delete", "create"]}}


@pytest.mark.parametrize(
    ("plan", "code", "text"),
    [
        ({"resource_changes": [NO_OP, READ]}, 0, "### wallet-prod: no drift\n\nThe account matches the code.\n"),
        (
            {"resource_drift": [UPDATE], "resource_changes": [NO_OP, UPDATE, REPLACE]},
            2,
            "### wallet-prod: drift\n\nChanged outside Terraform (the account no longer matches the last apply):\n\n"
            "- `aws_cloudwatch_log_group.service_task_log_group`\n\nWhat an apply of the code would do:\n\n"
            "- `aws_cloudwatch_log_group.service_task_log_group`: update\n- `aws_lb_target_group.load_balancer_target_group`: delete/create\n\n"
            "What to do: docs/pipeline.md#reading-a-drift-report.\n",
        ),
    ],
    ids=["none", "drifted"],
)
def test_the_summary_names_each_drifted_resource(
    plan: dict[str, Any], *, code: int, text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(plan)))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert drift.main(["wallet-prod"]) == code
    assert capsys.readouterr().out == text + "\n"
    assert (tmp_path / "summary.md").read_text() == text + "\n"


def test_input_that_is_no_plan_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Error: no state"))
    assert drift.main(["wallet-prod"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: wallet-prod: the input is not a Terraform plan in JSON (")
