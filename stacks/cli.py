"""The environment table for scripts and the pipeline, without importing cdktf (about 0.1 s).

python -m stacks.cli environments        # JSON list in promotion order: ["dev", "staging", "prod"]
python -m stacks.cli stack <environment>  # its stack name, or one error line and exit 2
python -m stacks.cli state-bucket         # the state bucket the context names, or one error line and exit 2
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from stacks import config, overrides
from stacks.config import DEFAULTS, ENVIRONMENTS, STACK_PREFIX
from stacks.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    names = [config.environment for config in ENVIRONMENTS]
    match argv:
        case ["environments"]:
            print(json.dumps(names))
            return 0
        case ["stack", environment]:
            if STACK_PREFIX + environment not in DEFAULTS:
                print(f"error: environment: {environment!r} is not valid; expected one of {', '.join(names)}", file=sys.stderr)
                return 2
            print(STACK_PREFIX + environment)
            return 0
        case ["state-bucket"]:
            return state_bucket()
    print("usage: python -m stacks.cli environments | stack <environment> | state-bucket", file=sys.stderr)
    return 2


def state_bucket() -> int:
    """The state bucket the context names (explicitly or by the one allowed account)."""
    try:
        configs = config.load(overrides.read_context(PROJECT_DIR))
        if (warning := config.state_bucket_warning(configs)) is not None:
            raise ConfigError(warning)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(configs[0].state_bucket)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
