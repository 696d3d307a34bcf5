"""Imported by Python at start-up in the processes of the emulated-account tests, whose PYTHONPATH names this folder
(sandbox/account.py sets it for the project's commands it runs, in a copy of the project). After `main.py`
synthesizes, it adapts every synthesized stack to the provider and emulator under test (sandbox/provider.py,
``adapt``), so that `pipenv run plan|deploy|release` and `cdktf diff` run unchanged on that copy. It does nothing in
any other process, and nothing at all where the variable PROVIDER_ENV is unset."""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

PROVIDER_ENV = "WALLET_EMULATOR_PROVIDER"
"""``<version>`` or ``<version>@<mirror path>``: the provider the test's Terraform uses."""


def _adapt_synthesized_stacks() -> None:
    if Path(sys.argv[0]).name != "main.py":
        return
    from sandbox.provider import ProviderChoice, adapt

    version, _, mirror = os.environ[PROVIDER_ENV].partition("@")
    choice = ProviderChoice(version, Path(mirror) if mirror else None)
    for stack_file in sorted(Path(os.environ.get("CDKTF_OUTDIR", "cdktf.out")).glob("stacks/*/cdk.tf.json")):
        adapt(stack_file.parent, choice)


if os.environ.get(PROVIDER_ENV):
    atexit.register(_adapt_synthesized_stacks)
