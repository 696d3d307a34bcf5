"""What a drift plan found, as the nightly drift job's summary: `terraform show -json <plan>` on stdin.

    terraform show -json drift.tfplan | python -m release.drift wallet-prod

Prints a Markdown summary (and appends it to $GITHUB_STEP_SUMMARY when that is set): the resources changed outside
Terraform (the plan's ``resource_drift``: someone or something changed the account) and the resources the plan would
change to bring the account back to the code (``resource_changes`` other than no-op, with their actions). Exit 2 when
there is either, 0 when there is none (Terraform's plan -detailed-exitcode, as one line per resource); 1 when the input is
not a plan in JSON.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any


def changed(plan: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """(addresses changed outside Terraform, [(address, actions)] the plan would apply), each in the plan's order."""
    drifted = [item["address"] for item in plan.get("resource_drift", [])]
    planned = [
        (item["address"], "/".join(item["change"]["actions"]))
        for item in plan.get("resource_changes", [])
        if item["change"]["actions"] not in (["no-op"], ["read"])
    ]
    return drifted, planned


def summary(stack: str, plan: Mapping[str, Any]) -> str:
    drifted, planned = changed(plan)
    if not drifted and not planned:
        return f"### {stack}: no drift\n\nThe account matches the code.\n"
    lines = [f"### {stack}: drift\n"]
    if drifted:
        lines += ["Changed outside Terraform (the account no longer matches the last apply):", ""]
        lines += [f"- `{address}`" for address in drifted] + [""]
    if planned:
        lines += ["What an apply of the code would do:", ""]
        lines += [f"- `{address}`: {actions}" for address, actions in planned] + [""]
    lines += ["What to do: docs/pipeline.md#reading-a-drift-report.", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: terraform show -json <plan> | python -m release.drift <stack>", file=sys.stderr)
        return 1
    try:
        plan = json.loads(sys.stdin.read())
        text = summary(argv[0], plan)
    except (ValueError, KeyError, TypeError) as error:
        print(f"error: {argv[0]}: the input is not a Terraform plan in JSON ({error!r})", file=sys.stderr)
        return 1
    print(text)
    if target := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(target, "a", encoding="utf-8") as out:
            out.write(text + "\n")
    drifted, planned = changed(plan)
    return 2 if drifted or planned else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
