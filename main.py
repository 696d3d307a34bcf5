"""Synthesizes the wallet service's stacks: wallet-dev, wallet-staging, wallet-prod and wallet-state.

Run by the cdktf CLI (`cdktf synth`, `cdktf deploy wallet-prod`) or directly (`python main.py`);
both read the same context. Configuration is validated before anything is imported from cdktf
or written, so a mistake costs about a second and leaves cdktf.out untouched.
"""

from __future__ import annotations

import sys
from pathlib import Path

from stacks import config, overrides, runtime
from stacks.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent


def main() -> int:
    try:
        configs = config.load(overrides.read_context(PROJECT_DIR))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    runtime.prepare()
    from stacks.app import build_app  # the cdktf and AWS bindings import: only once the input is known good

    build_app(configs).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
