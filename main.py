"""Synthesizes the wallet service's stacks: wallet-dev, wallet-staging, wallet-prod and wallet-state.

Run by the cdktf CLI (`cdktf synth`, `cdktf deploy wallet-prod`) or directly (`python main.py`);
both read the same context. Configuration is validated before anything is imported from cdktf
or written, so a mistake costs about a second and leaves cdktf.out untouched. On success it prints one line per
stack (name, resource count, path of its Terraform JSON) and the total time; errors go to stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from stacks import config, overrides, runtime
from stacks.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent


def main() -> int:
    started = time.perf_counter()
    try:
        configs = config.load(overrides.read_context(PROJECT_DIR))
        ignored = overrides.ignored_file_context(PROJECT_DIR)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if ignored:
        print(
            f"warning: {overrides.CONTEXT_ENV} is set, so cdktf.json's context is not read; ignored from it: {', '.join(ignored)} "
            "(put every setting in the variable, or unset it to use cdktf.json)",
            file=sys.stderr,
        )
    if (warning := config.state_bucket_warning(configs)) is not None:
        print(f"warning: {warning}", file=sys.stderr)
    runtime.prepare()
    from stacks.app import build_app, summary  # the cdktf and AWS bindings import: only once the input is known good

    app = build_app(configs)
    app.synth()
    lines = summary(app)
    print(*lines, f"synthesized {len(lines)} stacks in {time.perf_counter() - started:.1f} s", sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
