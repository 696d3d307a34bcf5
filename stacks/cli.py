"""The environment table for scripts and the pipeline, without importing cdktf (about 0.1 s).

python -m stacks.cli environments        # JSON list in promotion order: ["dev", "staging", "prod"]
python -m stacks.cli stack <environment>  # its stack name, or one error line and exit 2
"""

from __future__ import annotations

import json
import sys

from stacks.config import DEFAULTS, ENVIRONMENTS, STACK_PREFIX


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
    print("usage: python -m stacks.cli environments | stack <environment>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
