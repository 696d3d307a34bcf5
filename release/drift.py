"""What a drift plan found, as the nightly drift job's summary: `terraform show -json <plan>` on stdin.

    terraform show -json drift.tfplan | python -m release.drift wallet-prod

Prints a Markdown summary (and appends it to $GITHUB_STEP_SUMMARY when that is set) and exits 2 when the account
differs from the code, 0 when it does not, 1 when the input is not a plan in JSON. It differs when:

- a refresh changed something the configuration manages: an attribute of a resource in the plan's ``resource_drift``
  whose value the plan changes again (the code sets it; an apply would put it back), or one the plan's
  ``relevant_attributes`` names (a planned change depends on it), or a resource deleted outside Terraform. Each is
  named with its attributes, never their values (they may be secrets);
- or the plan would change a resource (``resource_changes`` other than no-op and read, with their actions).

What a refresh changed and nothing in the code sets or reads is not drift: attributes AWS moves on its own
(``latest_restorable_time`` of an RDS instance, every few minutes) and shapes that differ without meaning (``tags``
null against ``{}``: null, ``{}`` and ``[]`` compare equal here, so these are not even listed). The rest of what a
refresh changed is listed as not counted, so a reader can check. Terraform's JSON plan format ("Plan Representation": ``resource_drift``, ``relevant_attributes``, paths as
arrays of names and indices): https://developer.hashicorp.com/terraform/internals/json-format. Terraform fills
``relevant_attributes`` with the attributes that the plan's changes and changed outputs refer to
(internal/terraform/context_plan.go, relevantResourceAttrsForPlan), and its own plan shows only that drift
(internal/command/jsonformat/diff.go); a drift the plan undoes (a log group's retention set by hand) is not among them,
which is why the attributes the plan changes again count too.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]
"""An attribute path as Terraform's JSON plan writes one: attribute names and map keys, list indices."""

DELETED = "deleted"
"""What a resource gone from the account is reported as, in place of its attributes."""


@dataclass(frozen=True)
class Drifted:
    """One resource of ``resource_drift``: its address and what the refresh changed (attribute paths as text, or
    ``DELETED``)."""

    address: str
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class Findings:
    """A plan read: ``drifted`` (counted), ``not_counted`` (refresh changes nothing in the code sets or reads) and
    ``planned`` ([(address, actions)] an apply would do), each in the plan's order."""

    drifted: list[Drifted]
    not_counted: list[Drifted]
    planned: list[tuple[str, str]]

    @property
    def differs(self) -> bool:
        return bool(self.drifted or self.planned)


def _empty(value: Any) -> bool:
    return value is None or value in ({}, [])


def changed_paths(before: Any, after: Any, prefix: Path = ()) -> Iterator[Path]:
    """The paths where ``after`` differs from ``before``, down to the leaves of objects and of lists of the same length;
    null, ``{}`` and ``[]`` are equal."""
    if _empty(before) and _empty(after):
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*before, *(key for key in after if key not in before)]:
            yield from changed_paths(before.get(key), after.get(key), (*prefix, key))
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from changed_paths(old, new, (*prefix, index))
    elif before != after:
        yield prefix


def unknown_paths(after_unknown: Any, prefix: Path = ()) -> Iterator[Path]:
    """The paths an apply decides (``after_unknown``: true at each unknown leaf)."""
    if after_unknown is True:
        yield prefix
    elif isinstance(after_unknown, dict):
        for key, value in after_unknown.items():
            yield from unknown_paths(value, (*prefix, key))
    elif isinstance(after_unknown, list):
        for index, value in enumerate(after_unknown):
            yield from unknown_paths(value, (*prefix, index))


def overlaps(path: Path, others: Sequence[Path]) -> bool:
    """Whether ``path`` lies inside one of ``others`` or contains one (Terraform's partial match of a path)."""
    return any(path[: len(other)] == other or other[: len(path)] == path for other in others)


def path_text(path: Path) -> str:
    """``ingress[0].cidr_blocks``, ``tags["cost-center"]``; the whole object: ``(all)``."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", step):
            text += f".{step}" if text else step
        else:
            text += f"[{json.dumps(step)}]"
    return text or "(all)"


def _planned_paths(plan: Mapping[str, Any]) -> dict[str, list[Path]]:
    paths: dict[str, list[Path]] = {}
    for item in plan.get("resource_changes", []):
        change = item["change"]
        if change["actions"] in (["no-op"], ["read"]):
            continue
        # Unknown values are null in "after". An update leaves unknown what it changes; a replacement leaves every
        # computed attribute unknown, which is no sign of drift: only its known values count.
        unknown = list(unknown_paths(change.get("after_unknown")))
        found = [path for path in changed_paths(change.get("before"), change.get("after")) if path not in unknown]
        if change["actions"] == ["update"]:
            found += unknown
        paths.setdefault(item["address"], []).extend(found)
    return paths


def _relevant_paths(plan: Mapping[str, Any]) -> dict[str, list[Path]]:
    """``relevant_attributes`` by resource address ("": every resource, as Terraform reads an entry without one)."""
    paths: dict[str, list[Path]] = {}
    for item in plan.get("relevant_attributes", []):
        paths.setdefault(item.get("resource", ""), []).append(tuple(item["attribute"]))
    return paths


def read(plan: Mapping[str, Any]) -> Findings:
    """Splits the plan's ``resource_drift`` into what counts and what does not, and lists the planned changes."""
    planned_paths, relevant = _planned_paths(plan), _relevant_paths(plan)
    drifted, not_counted = [], []
    for item in plan.get("resource_drift", []):
        address, change = item["address"], item["change"]
        if "delete" in change["actions"] and change.get("after") is None:
            drifted.append(Drifted(address, (DELETED,)))
            continue
        paths = list(changed_paths(change.get("before"), change.get("after")))
        managed = [*planned_paths.get(address, []), *relevant.get(address, []), *relevant.get("", [])]
        counted = tuple(path_text(path) for path in paths if overlaps(path, managed))
        other = tuple(path_text(path) for path in paths if not overlaps(path, managed))
        if counted:
            drifted.append(Drifted(address, counted))
        if other:
            not_counted.append(Drifted(address, other))
    planned = [
        (item["address"], "/".join(item["change"]["actions"]))
        for item in plan.get("resource_changes", [])
        if item["change"]["actions"] not in (["no-op"], ["read"])
    ]
    return Findings(drifted, not_counted, planned)


def _listed(items: list[Drifted]) -> list[str]:
    lines = []
    for item in items:
        names = DELETED if item.attributes == (DELETED,) else ", ".join(f"`{name}`" for name in item.attributes)
        lines.append(f"- `{item.address}`: {names}")
    return [*lines, ""]


def summary(stack: str, findings: Findings) -> str:
    """The Markdown summary of ``findings`` for ``stack``."""
    lines = [f"### {stack}: drift\n"] if findings.differs else [f"### {stack}: no drift\n", "The account matches the code.", ""]
    if findings.drifted:
        lines += ["Changed outside Terraform (the account no longer matches the last apply):", ""]
        lines += _listed(findings.drifted)
    if findings.planned:
        lines += ["What an apply of the code would do:", ""]
        lines += [f"- `{address}`: {actions}" for address, actions in findings.planned] + [""]
    if findings.not_counted:
        lines += ["Not counted (changed by a refresh; the code neither sets it nor depends on it):", ""]
        lines += _listed(findings.not_counted)
    if findings.differs:
        lines += ["What to do: docs/pipeline.md#reading-a-drift-report.", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: terraform show -json <plan> | python -m release.drift <stack>", file=sys.stderr)
        return 1
    try:
        findings = read(json.loads(sys.stdin.read()))
        text = summary(argv[0], findings)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"error: {argv[0]}: the input is not a Terraform plan in JSON ({error!r})", file=sys.stderr)
        return 1
    print(text)
    if target := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(target, "a", encoding="utf-8") as out:
            out.write(text + "\n")
    return 2 if findings.differs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
