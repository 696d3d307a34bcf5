"""Mutation testing (`pipenv run mutate`): mutmut (Pipfile, pinned) changes the code where a bug costs most, one small
semantic change at a time, and runs the offline tests against each change; a change no test notices "survived".

    pipenv run mutate                         # the whole scope: [tool.mutmut] only_mutate in pyproject.toml
    pipenv run mutate release/drift.py costs  # only these files (or folders) of the scope
    pipenv run mutate --changed [main]        # only the files of the scope that differ from main (or another ref)

Prints the score (killed / checked) and every survivor as file:line and mutmut's name (`mutmut show <name>` shows
the change, `mutmut browse` all of them); exit 0 when none survived, 1 when some did, 2 for bad input. mutmut keeps its
work in mutants/ (git ignores it) and, run again, tests again only what changed. The tests it runs: the offline suite
without the ones that need a background run (WALLET_TEST_OFFLINE_ONLY, tests/conftest.py) or run the project's Python
in a subprocess (pyproject.toml, pytest_add_cli_args): a mutant is switched on in mutmut's process only.
Each mutant's outcome is mutmut's own (mutants/<file>.meta, read with mutmut.stats.status_by_exit_code): a timeout or
a type-check failure counts as killed, as mutmut counts them.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
KILLED = ("killed", "timeout", "caught by type check")


def scope() -> list[str]:
    """The only_mutate patterns of pyproject.toml's [tool.mutmut]."""
    return list(tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"])


def in_scope(path: str) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in scope())


def scoped_files(given: list[str]) -> list[str]:
    """The .py files of the scope under ``given`` (files or folders, relative to the project)."""
    files = []
    for item in given:
        path = PROJECT / item
        candidates = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        files += [str(c.relative_to(PROJECT)) for c in candidates if c.is_file() and in_scope(str(c.relative_to(PROJECT)))]
    return files


def changed_files(ref: str) -> list[str]:
    """The files of the scope that differ between ``ref`` and the work tree (committed or not)."""
    result = subprocess.run(["git", "diff", "--name-only", ref, "--", "."], cwd=PROJECT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"error: --changed: git cannot compare with {ref!r} ({result.stderr.strip()}); give a branch, tag or commit")
    return [name for name in result.stdout.split() if name.endswith(".py") and in_scope(name)]


def module_of(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def results(files: list[str]) -> dict[str, str]:
    """Mutant name -> mutmut's status of it ("killed", "survived", "no tests", ...), for the mutants of ``files``."""
    from mutmut.stats import status_by_exit_code

    found: dict[str, str] = {}
    for path in files:
        meta = PROJECT / "mutants" / f"{path}.meta"
        if meta.exists():
            found |= {name: status_by_exit_code[code] for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()}
    return found


def location(path: str, mutant: str) -> int:
    """The line in ``path`` of the first line the mutant changes: its function beside the original in mutmut's copy
    (mutants/<path>, where each variant is a function of its own), the first line that differs, counted from the
    original function's def in ``path``; 0 when not found."""
    key = mutant.rsplit(".", 1)[-1]
    stem = key.rsplit("__mutmut_", 1)[0]
    copy = (PROJECT / "mutants" / path).read_text()
    lines = copy.splitlines()
    bodies = {
        node.name: lines[node.lineno - 1 : node.end_lineno]
        for node in ast.walk(ast.parse(copy))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in (key, f"{stem}__mutmut_orig")
    }
    original, mutated = bodies.get(f"{stem}__mutmut_orig", []), bodies.get(key, [])
    # The first line differs by the variant's name alone.
    offset = next((i for i, (a, b) in enumerate(zip(original, mutated, strict=False)) if i and a != b), 0)
    function = stem.split("ǁ")[-1].removeprefix("x_")
    for node in ast.walk(ast.parse((PROJECT / path).read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            return node.lineno + offset
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pipenv run mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or folders of the scope (default: all of it)")
    parser.add_argument("--changed", nargs="?", const="main", metavar="REF", help="the scope's files that differ from REF (default main)")
    args = parser.parse_args(argv)
    if args.changed and args.paths:
        parser.error("give paths or --changed, not both")
    files = changed_files(args.changed) if args.changed else scoped_files(args.paths or ["."])
    if not files:
        print(
            "nothing to mutate: no file of the scope (pyproject.toml [tool.mutmut] only_mutate) " + ("changed" if args.changed else "given")
        )
        return 0
    env = {**os.environ, "WALLET_TEST_BACKGROUND": "0", "WALLET_TEST_OFFLINE_ONLY": "1"}
    patterns = [f"{module_of(path)}.*" for path in files]
    print(f"mutating {len(files)} file(s): {', '.join(files)}", flush=True)
    with (PROJECT / "mutants.log").open("w") as log:
        run = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", *patterns], cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if run.returncode != 0:
        print(f"error: mutmut stopped (exit {run.returncode}); its output: {PROJECT / 'mutants.log'}", file=sys.stderr)
        return 1
    statuses = results(files)
    killed = sum(status in KILLED for status in statuses.values())
    survivors = sorted(name for name, status in statuses.items() if status == "survived")
    uncovered = sum(status == "no tests" for status in statuses.values())
    checked = killed + len(survivors)
    score = 100 * killed / checked if checked else 100.0
    print(f"score {score:.1f}%: {killed} of {checked} mutants killed; {uncovered} not covered by any test (counted apart)")
    by_module = {module_of(path): path for path in files}
    placed = sorted((by_module[name.rsplit(".", 1)[0]], name) for name in survivors)
    for path, line, name in sorted((path, location(path, name), name) for path, name in placed):
        print(f"  {path}:{line}  {name}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
