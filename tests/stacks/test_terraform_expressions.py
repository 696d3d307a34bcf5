"""Synthesized expressions that decide a plan, evaluated by Terraform itself (tests/terraform_eval.py): the image tag
validations (Terraform's RE2 against the Python rule main.py applies), the first deploy's bootstrap, and the
alarm-target precondition."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from stacks import rules
from tests.expected import EXPECTED
from tests.terraform_eval import evaluate

# tag -> a valid Docker tag? (Docker: up to 128 of [A-Za-z0-9_.-], not starting with . or -)
TAGS = {
    "v1.2.3": True, "release_2026.11-rc1": True, "_x": True, "a" * 128: True,
    "": False, "v1.2.3 beta": False, ".hidden": False, "-x": False, "a" * 129: False, "v1.2.3\n": False, "ü": False,
}  # fmt: skip


def test_image_tags_are_judged_as_the_python_rule_judges_them(parsed: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    variables = parsed["wallet-prod"]["variable"]
    outputs = {}
    for name in ("image_tag", "migration_image_tag"):
        [validation] = variables[name]["validation"]
        for index, tag in enumerate(TAGS):
            outputs[f"{name}_{index}"] = validation["condition"].replace(f"var.{name}", json.dumps(tag))
    values = evaluate(tmp_path, {}, {}, outputs)
    # Empty: the migration task follows image_tag (the variable's default); an empty image_tag is refused.
    expected = {"image_tag": TAGS, "migration_image_tag": {**TAGS, "": True}}
    for name in ("image_tag", "migration_image_tag"):
        assert {tag: values[f"{name}_{index}"] for index, tag in enumerate(TAGS)} == expected[name], name
    assert {tag: re.fullmatch(rules.IMAGE_TAG, tag) is not None for tag in TAGS} == TAGS


def test_the_bootstrap_holds_the_service_at_zero_tasks(parsed: dict[str, dict[str, Any]], env_stack: str, tmp_path: Path) -> None:
    resources = parsed[env_stack]["resource"]
    [service] = resources["aws_ecs_service"].values()
    [target] = resources["aws_appautoscaling_target"].values()
    outputs = {}
    for bootstrap in (True, False):
        for name, expression in (("desired", service["desired_count"]), ("min", target["min_capacity"])):
            outputs[f"{name}_{bootstrap}"] = expression.replace("var.bootstrap", json.dumps(bootstrap))
    values = evaluate(tmp_path, {}, {}, outputs)
    minimum = EXPECTED[env_stack].min_tasks
    assert values == {"desired_True": 0, "min_True": 0, "desired_False": minimum, "min_False": minimum}
    assert target["max_capacity"] == EXPECTED[env_stack].max_tasks


def test_alarm_targets_precondition(parsed: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    [condition] = [c["condition"] for c in parsed["wallet-prod"]["resource"]["aws_sns_topic"]["alarms_topic"]["lifecycle"]["precondition"]]
    outputs = {
        "none": condition.replace("local.alarms_notification_targets", "[]"),
        "one_email": condition.replace("local.alarms_notification_targets", '["oncall@example.com"]'),
    }
    assert evaluate(tmp_path, {}, {}, outputs) == {"none": False, "one_email": True}


def test_the_service_names_the_group_the_live_rule_weights_more(parsed: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """Prod's service (canary by the table) names as its target group the one the live rule sends most traffic to, as
    ECS reports it after each deployment, and the other as the alternate; the first group while the rule is not read
    yet (the first plan: a data source read at apply has an empty action list) and on a tie."""
    resources = parsed["wallet-prod"]["resource"]
    [service] = resources["aws_ecs_service"].values()
    [block] = service["load_balancer"]
    groups = {
        "aws_lb_target_group.load_balancer_target_group.arn": '"blue"',
        "aws_lb_target_group.load_balancer_alternate_target_group.arn": '"green"',
    }
    pair = {"live": block["target_group_arn"], "standby": block["advanced_configuration"]["alternate_target_group_arn"]}
    for reference, literal in groups.items():
        pair = {name: expression.replace(reference, literal) for name, expression in pair.items()}
    cases = {"not_read": [], "blue_live": (100, 0), "green_live": (0, 100), "canary_on_green": (90, 10), "tie": (50, 50)}
    values = {}
    for case, weights in cases.items():
        action = (
            [{"forward": [{"target_group": [{"arn": "blue", "weight": weights[0]}, {"arn": "green", "weight": weights[1]}]}]}]
            if weights
            else []
        )
        fixtures = {"data.aws_lb_listener_rule.load_balancer_live_rule_weights": {"action": action}}
        values[case] = evaluate(tmp_path / case, {}, fixtures, pair)
    assert values == {
        "not_read": {"live": "blue", "standby": "green"},
        "blue_live": {"live": "blue", "standby": "green"},
        "green_live": {"live": "green", "standby": "blue"},
        "canary_on_green": {"live": "blue", "standby": "green"},
        "tie": {"live": "blue", "standby": "green"},
    }
