"""The drift job's summary of a plan (release/drift.py), on plans in Terraform's JSON format (`terraform show -json`),
written out literally: what a refresh changes on its own is not drift, what the code sets or a planned change reads is,
by attribute."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from release import drift

NO_OP = {"address": "aws_ecs_cluster.service_cluster", "change": {"actions": ["no-op"], "before": {"name": "c"}, "after": {"name": "c"}}}
READ = {"address": "data.aws_vpc.network_vpc", "change": {"actions": ["read"], "before": None, "after": {"id": "vpc-1"}}}
DATABASE = "aws_db_instance.database_instance"
DATABASE_NO_OP = {"address": DATABASE, "change": {"actions": ["no-op"], "before": {"id": "db-1"}, "after": {"id": "db-1"}}}
# RDS advances latest_restorable_time every few minutes; nothing in the code sets or reads it.
RESTORABLE_TIME = {
    "address": DATABASE,
    "change": {
        "actions": ["update"],
        "before": {"id": "db-1", "latest_restorable_time": "2026-12-01T03:05:00Z", "tags": {"Name": "wallet"}},
        "after": {"id": "db-1", "latest_restorable_time": "2026-12-01T03:15:00Z", "tags": {"Name": "wallet"}},
    },
}
TASK_DEFINITION = "aws_ecs_task_definition.service_task_definition"
# The provider reads back {} where the state had null (and [] where it had null): the same, in another shape.
TAGS_SHAPE = {
    "address": TASK_DEFINITION,
    "change": {
        "actions": ["update"],
        "before": {"family": "wallet-service-dev", "tags": None, "volume": None},
        "after": {"family": "wallet-service-dev", "tags": {}, "volume": []},
    },
}
TASK_DEFINITION_NO_OP = {"address": TASK_DEFINITION, "change": {"actions": ["no-op"], "before": {}, "after": {}}}
LOG_GROUP = "aws_cloudwatch_log_group.service_task_log_group"
# Someone shortened the retention by hand; the code sets 14 days, so the plan sets it back.
RETENTION_DRIFT = {
    "address": LOG_GROUP,
    "change": {
        "actions": ["update"],
        "before": {"name": "/aws/ecs/wallet-service/prod", "retention_in_days": 14},
        "after": {"name": "/aws/ecs/wallet-service/prod", "retention_in_days": 1},
    },
}
RETENTION_BACK = {
    "address": LOG_GROUP,
    "change": {
        "actions": ["update"],
        "before": {"name": "/aws/ecs/wallet-service/prod", "retention_in_days": 1},
        "after": {"name": "/aws/ecs/wallet-service/prod", "retention_in_days": 14},
        "after_unknown": {},
    },
}
# The service group replaced outside Terraform (same name, new id): the database's ingress rule refers to its id,
# so Terraform lists the id in relevant_attributes and plans the rule again.
GROUP = "aws_security_group.service_security_group"
GROUP_DRIFT = {
    "address": GROUP,
    "change": {
        "actions": ["update"],
        "before": {"id": "sg-0aaa", "name": "wallet-service-prod", "ingress": [{"from_port": 8080, "cidr_blocks": []}]},
        "after": {"id": "sg-0bbb", "name": "wallet-service-prod", "ingress": [{"from_port": 8080, "cidr_blocks": None}]},
    },
}
RULE = "aws_vpc_security_group_ingress_rule.database_ingress_from_service"
RULE_CHANGE = {
    "address": RULE,
    "change": {
        "actions": ["delete", "create"],
        "before": {"id": "sgr-1", "referenced_security_group_id": "sg-0bbb"},
        "after": {"id": None, "referenced_security_group_id": "sg-0aaa"},
        "after_unknown": {"id": True},
    },
}
RELEVANT_GROUP_ID = {"resource": GROUP, "attribute": ["id"]}
# Auto scaling moved the service to 2 tasks; the code ignores desired_count (ignore_changes), so the plan leaves it.
SERVICE = "aws_ecs_service.service"
DESIRED_COUNT = {
    "address": SERVICE,
    "change": {
        "actions": ["update"],
        "before": {"name": "wallet-service-prod", "desired_count": 1},
        "after": {"name": "wallet-service-prod", "desired_count": 2},
    },
}
SERVICE_NO_OP = {"address": SERVICE, "change": {"actions": ["no-op"], "before": {}, "after": {}}}
# The listener's forward action pointed at another group by hand: a nested attribute the plan sets back.
LISTENER = "aws_lb_listener.https_listener"
LISTENER_DRIFT = {
    "address": LISTENER,
    "change": {
        "actions": ["update"],
        "before": {"port": 443, "default_action": [{"type": "forward", "target_group_arn": "arn:blue"}], "tags": {"cost-center": "a"}},
        "after": {"port": 443, "default_action": [{"type": "forward", "target_group_arn": "arn:other"}], "tags": {"cost-center": "b"}},
    },
}
LISTENER_BACK = {
    "address": LISTENER,
    "change": {
        "actions": ["update"],
        "before": {"port": 443, "default_action": [{"type": "forward", "target_group_arn": "arn:other"}], "tags": {"cost-center": "b"}},
        "after": {"port": 443, "default_action": [{"type": "forward", "target_group_arn": "arn:blue"}], "tags": {"cost-center": "a"}},
        "after_unknown": {"tags_all": True},
    },
}
# Deleted in the console: the refresh finds nothing, the plan creates it again.
ALARM = "aws_cloudwatch_metric_alarm.service_cpu_alarm"
ALARM_DELETED = {"address": ALARM, "change": {"actions": ["delete"], "before": {"alarm_name": "cpu"}, "after": None}}
ALARM_CREATE = {
    "address": ALARM,
    "change": {"actions": ["create"], "before": None, "after": {"alarm_name": "cpu"}, "after_unknown": {"arn": True}},
}

NO_DRIFT = "### wallet-prod: no drift\n\nThe account matches the code.\n"
WHAT_TO_DO = "What to do: docs/pipeline.md#reading-a-drift-report.\n"


@pytest.mark.parametrize(
    ("plan", "code", "text"),
    [
        ({"resource_changes": [NO_OP, READ]}, 0, NO_DRIFT),
        (
            {"resource_drift": [RESTORABLE_TIME], "resource_changes": [NO_OP, DATABASE_NO_OP]},
            0,
            NO_DRIFT + "\nNot counted (changed by a refresh; the code neither sets it nor depends on it):\n\n"
            "- `aws_db_instance.database_instance`: `latest_restorable_time`\n",
        ),
        ({"resource_drift": [TAGS_SHAPE], "resource_changes": [TASK_DEFINITION_NO_OP]}, 0, NO_DRIFT),
        (
            {"resource_drift": [RETENTION_DRIFT, RESTORABLE_TIME], "resource_changes": [NO_OP, RETENTION_BACK, DATABASE_NO_OP]},
            2,
            "### wallet-prod: drift\n\nChanged outside Terraform (the account no longer matches the last apply):\n\n"
            "- `aws_cloudwatch_log_group.service_task_log_group`: `retention_in_days`\n\n"
            "What an apply of the code would do:\n\n- `aws_cloudwatch_log_group.service_task_log_group`: update\n\n"
            "Not counted (changed by a refresh; the code neither sets it nor depends on it):\n\n"
            "- `aws_db_instance.database_instance`: `latest_restorable_time`\n\n" + WHAT_TO_DO,
        ),
        (
            {"resource_drift": [GROUP_DRIFT], "resource_changes": [RULE_CHANGE], "relevant_attributes": [RELEVANT_GROUP_ID]},
            2,
            "### wallet-prod: drift\n\nChanged outside Terraform (the account no longer matches the last apply):\n\n"
            "- `aws_security_group.service_security_group`: `id`\n\n"
            "What an apply of the code would do:\n\n"
            "- `aws_vpc_security_group_ingress_rule.database_ingress_from_service`: delete/create\n\n" + WHAT_TO_DO,
        ),
        (
            {
                "resource_drift": [DESIRED_COUNT, TAGS_SHAPE],
                "resource_changes": [SERVICE_NO_OP, RULE_CHANGE],
                "relevant_attributes": [RELEVANT_GROUP_ID],
            },
            2,
            "### wallet-prod: drift\n\nWhat an apply of the code would do:\n\n"
            "- `aws_vpc_security_group_ingress_rule.database_ingress_from_service`: delete/create\n\n"
            "Not counted (changed by a refresh; the code neither sets it nor depends on it):\n\n"
            "- `aws_ecs_service.service`: `desired_count`\n\n" + WHAT_TO_DO,
        ),
        (
            {"resource_drift": [LISTENER_DRIFT, ALARM_DELETED], "resource_changes": [LISTENER_BACK, ALARM_CREATE]},
            2,
            "### wallet-prod: drift\n\nChanged outside Terraform (the account no longer matches the last apply):\n\n"
            '- `aws_lb_listener.https_listener`: `default_action[0].target_group_arn`, `tags["cost-center"]`\n'
            "- `aws_cloudwatch_metric_alarm.service_cpu_alarm`: deleted\n\n"
            "What an apply of the code would do:\n\n"
            "- `aws_lb_listener.https_listener`: update\n- `aws_cloudwatch_metric_alarm.service_cpu_alarm`: create\n\n" + WHAT_TO_DO,
        ),
    ],
    ids=[
        "nothing",
        "latest-restorable-time-only",
        "tags-null-against-empty",
        "retention-set-back-by-the-plan",
        "relevant-attribute",
        "drifted-but-neither-set-nor-relevant",
        "nested-paths-and-deleted",
    ],
)
def test_the_summary_names_what_changed_outside_terraform(
    plan: dict[str, Any], *, code: int, text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(plan)))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    (tmp_path / "summary.md").write_text("### wallet-dev: no drift\n\n")  # the job's summary of other steps: appended to
    assert drift.main(["wallet-prod"]) == code
    assert capsys.readouterr().out == text + "\n"
    assert (tmp_path / "summary.md").read_text() == "### wallet-dev: no drift\n\n" + text + "\n"


def test_a_relevant_attribute_without_a_resource_applies_to_every_drifted_resource() -> None:
    """As Terraform reads it (internal/command/jsonformat/diff.go): an entry with an empty ``resource``."""
    plan = {"resource_drift": [GROUP_DRIFT], "resource_changes": [], "relevant_attributes": [{"resource": "", "attribute": ["name"]}]}
    assert drift.read(plan).drifted == []
    plan["relevant_attributes"] = [{"resource": "", "attribute": ["id"]}]
    assert drift.read(plan).drifted == [drift.Drifted(GROUP, ("id",))]


def test_a_replacement_does_not_count_the_attributes_it_leaves_unknown() -> None:
    """A replaced resource has every computed attribute unknown in the plan; only known values set back count."""
    replace = {
        "address": DATABASE,
        "change": {
            "actions": ["delete", "create"],
            "before": {"id": "db-1", "latest_restorable_time": "2026-12-01T03:15:00Z", "tags": {"Name": "wallet"}},
            "after": {"id": None, "latest_restorable_time": None, "tags": {"Name": "wallet"}},
            "after_unknown": {"id": True, "latest_restorable_time": True},
        },
    }
    findings = drift.read({"resource_drift": [RESTORABLE_TIME], "resource_changes": [replace]})
    assert findings.drifted == [] and findings.not_counted == [drift.Drifted(DATABASE, ("latest_restorable_time",))]
    assert findings.planned == [(DATABASE, "delete/create")]


@pytest.mark.parametrize("text", ["Error: no state", "[]", '{"resource_drift": [{"change": {}}]}'], ids=["text", "list", "no-address"])
def test_input_that_is_no_plan_is_one_line(text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert drift.main(["wallet-prod"]) == 1
    output = capsys.readouterr()
    [line] = output.err.splitlines()
    assert line.startswith("error: wallet-prod: the input is not a Terraform plan in JSON (")
    assert output.out == ""
