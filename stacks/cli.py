"""The environment table for scripts and the pipeline, without importing cdktf (about 0.1 s).

python -m stacks.cli environments        # JSON list in promotion order: ["dev", "staging", "prod"]
python -m stacks.cli stack <environment>  # its stack name (dev or wallet-dev give wallet-dev), or one error line, exit 2
python -m stacks.cli state-bucket         # the state bucket the context names, or one error line and exit 2
python -m stacks.cli image-tag <tag>      # nothing for a valid Docker tag, or one error line and exit 2
python -m stacks.cli role <environment> deploy|plan
                                          # the ARN of the environment's deploy or plan role (docs/accounts.md), or
                                          # nothing when it has no account of its own; or one error line and exit 2
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from stacks import accounts, config, overrides
from stacks.config import ENVIRONMENTS
from stacks.errors import ConfigError
from stacks.rules import IMAGE_TAG, IMAGE_TAG_RULE, check_pattern

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    names = [config.environment for config in ENVIRONMENTS]
    match argv:
        case ["environments"]:
            print(json.dumps(names))
            return 0
        case ["stack", environment]:
            return _report(lambda: print(config.stack_name_of(environment)))
        case ["state-bucket"]:
            return state_bucket()
        case ["image-tag", tag]:
            return _report(lambda: check_pattern("image_tag", tag, IMAGE_TAG, IMAGE_TAG_RULE))
        case ["role", environment, ("deploy" | "plan") as kind]:
            return _report(lambda: role(environment, kind))
    print(
        "usage: python -m stacks.cli environments | stack <environment> | state-bucket | image-tag <tag> | role <environment> deploy|plan",
        file=sys.stderr,
    )
    return 2


def state_bucket() -> int:
    """The state bucket the context names (explicitly or by the one allowed account)."""

    def check() -> None:
        configs = config.load(overrides.read_context(PROJECT_DIR))
        if (warning := config.state_bucket_warning(configs)) is not None:
            raise ConfigError(warning)
        print(configs[0].state_bucket)

    return _report(check)


def role(environment: str, kind: str) -> None:
    """Prints the environment's deploy or plan role, when it has an account of its own."""
    chosen = config.select(config.load(overrides.read_context(PROJECT_DIR)), environment)
    if chosen.account_id is not None:
        print(accounts.role_arn(chosen, kind))


def _report(check: Callable[[], None]) -> int:
    """0 when ``check`` passes; its ConfigError as one line on stderr and 2 when not."""
    try:
        check()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
