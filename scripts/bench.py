"""Speed benchmark (`pipenv run bench`): medians of several runs, side by side on this machine.

Times, each in a fresh process:
  import  the eager import of the AWS provider bindings alone (what every process paid before the lazy loaders)
  synth   `python main.py`: validate, build and synthesize all four stacks (lazy bindings, Python and Node side)
  eager   the same with WALLET_EAGER_AWS_IMPORT=1 (eager on both sides), to show what the lazy loaders save
  tests   the pytest suite (`python -m pytest -q`)
  offline the suite without the emulated AWS account's tests (tests/test_emulated_*.py), to show what real
          Terraform against the emulator adds to the suite's wall time
and prints the ratios synth/import and tests/import, the emulator's share, and the peak memory of the largest process
of each. Targets on a 2-core machine: synth/import <= 0.2; the emulated account adds <= 180 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stacks import runtime

PROJECT = Path(__file__).resolve().parent.parent
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
EAGER_IMPORT = "from stacks import runtime; runtime.use_supported_node(); import cdktf_cdktf_provider_aws"


def run(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of the largest process the command ran."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=PROJECT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed:\n{result.stderr}")
    return elapsed, int(result.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (default 3)")
    args = parser.parse_args()
    env = {key: value for key, value in os.environ.items() if key != "CDKTF_CONTEXT_JSON"}
    env["PYTHONPATH"] = str(PROJECT)
    with tempfile.TemporaryDirectory() as outdir:
        commands = {
            "import": [sys.executable, "-c", EAGER_IMPORT],
            "synth": [sys.executable, "main.py"],
            "eager": ["env", f"{runtime.EAGER_ENV}=1", sys.executable, "main.py"],
            "tests": PYTEST,
            "offline": ["env", "WALLET_TEST_EMULATOR=0", *PYTEST, "--ignore-glob", "tests/test_emulated_*.py"],
        }
        env["CDKTF_OUTDIR"] = outdir
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
        for round_ in range(args.runs):
            for name, command in commands.items():  # interleaved, so drift hits all alike
                samples[name].append(run(command, env))
                print(f"run {round_ + 1}/{args.runs} {name}: {samples[name][-1][0]:.2f} s", file=sys.stderr)
    median = {name: statistics.median(seconds for seconds, _ in runs) for name, runs in samples.items()}
    peak = {name: max(rss for _, rss in runs) for name, runs in samples.items()}
    print(f"{'':8}{'median s':>10}{'peak MiB':>10}   ({args.runs} runs, {os.cpu_count()} cores)")
    for name in commands:
        print(f"{name:8}{median[name]:>10.2f}{peak[name] / 1024:>10.0f}")
    print(f"synth/import {median['synth'] / median['import']:.2f} (target <= 0.2)")
    print(f"tests/import {median['tests'] / median['import']:.2f}")
    print(f"the emulated account adds {median['tests'] - median['offline']:.0f} s to the suite (target <= 180)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
