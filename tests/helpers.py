"""Small readers of synthesized Terraform JSON shared by the tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting


def resources(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The resources of one type, by logical id ({} when there are none)."""
    return dict(document.get("resource", {}).get(kind, {}))


def data_sources(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return dict(document.get("data", {}).get(kind, {}))


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a JSON document, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def container(document: dict[str, Any], task_definition: str) -> dict[str, Any]:
    """The one container of a task definition, parsed from its JSON string."""
    [definition] = json.loads(resources(document, "aws_ecs_task_definition")[task_definition]["container_definitions"])
    return dict(definition)


def bare_stack() -> TerraformStack:
    """A stack with nothing in it, to test one construct alone."""
    return TerraformStack(CdktfTesting.app(), "test")


def workflow_steps(workflow: str, job: str) -> list[dict[str, Any]]:
    """The steps of ``job`` in .github/workflows/<workflow>, as GitHub reads them."""
    import yaml  # type: ignore[import-untyped]  # PyYAML (a dev package) ships no type hints

    from tests.conftest import PROJECT_DIR

    document = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / workflow).read_text())
    return list(document["jobs"][job]["steps"])


def synth_environment(stack: str, settings: dict[str, Any], shared: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Terraform JSON of environment ``stack`` built from the table and these overrides alone (``shared``: under
    the context key every environment reads), never from cdktf.json's context."""
    from cdktf import App

    from stacks import config
    from stacks.wallet_stack import WalletStack

    [chosen] = [c for c in config.load({"wallet": shared or {}, stack: settings}) if c.stack_name == stack]
    return dict(json.loads(CdktfTesting.synth(WalletStack(App(), stack, config=chosen))))
