"""`pipenv run sandbox tour [<env>]`: the runbook end to end in a sandbox of its own (docs/sandbox.md).

    up            the emulated account, seeded; Runbook 1's state bucket
    deploy        pipenv run deploy <env> v1.2.3           (the first deploy: bootstrap, migrations, apply)
    release       pipenv run release <env> v1.2.4          (migration task, migrations, service)
    re-plan       terraform plan -detailed-exitcode        (0: the account is as the code says)
    destroy       terraform destroy                         (what the tier allows, docs/runbook.md#3-destroy-rules)
    down          the server stopped, the folder removed

One progress line per step with its time, a summary table at the end. It stops at the first failed step, names its
log and keeps the logs (`pipenv run sandbox down` removes them); a Ctrl-C stops everything and removes the folder.
Exit 0: every step as expected; 1: a step failed; 2: wrong input; 130: interrupted.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sandbox import account, cli, steps
from stacks import config
from stacks.errors import ConfigError

FIRST, NEXT = account.RELEASES


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str
    log: str | None = None


def expected_destroy(environment: config.EnvironmentConfig) -> tuple[str, Callable[[steps.Record], bool]]:
    """What the destroy may do, by the settings the tier requires (docs/runbook.md#3-destroy-rules): with
    db_prevent_destroy Terraform refuses before anything goes; with db_deletion_protection alone it stops at the
    database (the rest is destroyed); without either it destroys everything."""
    if environment.db_prevent_destroy:
        return (
            "refused by Terraform (prevent_destroy), nothing destroyed",
            lambda r: r["returncode"] == 1 and "prevent_destroy" in r["output"],
        )
    if environment.db_deletion_protection:
        return (
            "stopped at the database's deletion protection",
            lambda r: r["returncode"] == 1 and "deletion protection" in r["output"].lower(),
        )
    return "everything destroyed", lambda r: r["returncode"] == 0


def _environment(name: str) -> config.EnvironmentConfig:
    try:
        stack = config.stack_name_of(name)
    except ConfigError as error:
        raise cli.SandboxError(str(error), 2) from None
    return next(item for item in cli.project_configs() if item.stack_name == stack)


def tour(environment_name: str) -> int:
    environment = _environment(environment_name)
    folder = cli.home()
    cli.refuse_if_running(folder)
    short, stack = environment.environment, environment.stack_name
    stack_dir = f"cdktf.out/stacks/{stack}"
    destroy_means, destroy_ok = expected_destroy(environment)
    results: list[tuple[str, Outcome, float]] = []
    running: cli.Running | None = None
    finish_state: Callable[[], None] | None = None

    def command_step(step: str, command: list[str], ok: Callable[[steps.Record], bool], means: str) -> Outcome:
        assert running is not None
        env = {**cli.command_environment(running.variables), "AUTO_APPROVE": "1"}
        record = steps.run_step(step, command, Path(running.project), env, log_dir=folder / "logs")
        passed = ok(record)
        return Outcome(passed, means if passed else f"exit {record['returncode']}, expected: {means}", record["log"])

    def up() -> Outcome:
        nonlocal running, finish_state
        running, finish_state = cli.start(folder, None)
        running.write(folder)
        return Outcome(True, f"{running.endpoint}, state bucket {running.state_bucket}")

    def deploy() -> Outcome:
        outcome = command_step("deploy", [pipenv, "run", "deploy", short, FIRST], _exit_0, f"{stack} at {FIRST}")
        assert finish_state is not None
        finish_state()  # Runbook 1's apply, which goes on once its bucket exists, has ended well
        return outcome

    pipenv = account.pipenv()
    plan = ["terraform", f"-chdir={stack_dir}", "plan", "-input=false", "-detailed-exitcode", "-no-color", "-var", f"image_tag={NEXT}"]
    destroy = ["terraform", f"-chdir={stack_dir}", "destroy", "-input=false", "-auto-approve", "-no-color", "-var", f"image_tag={NEXT}"]
    plan_steps: list[tuple[str, str, Callable[[], Outcome]]] = [
        ("up", "the emulated account, seeded; Runbook 1's state bucket (its apply ends during the deploy)", up),
        ("deploy", f"pipenv run deploy {short} {FIRST}", deploy),
        (
            "release",
            f"pipenv run release {short} {NEXT}",
            lambda: command_step("release", [pipenv, "run", "release", short, NEXT], _exit_0, f"{stack} at {NEXT}"),
        ),
        ("re-plan", "terraform plan -detailed-exitcode", lambda: command_step("re-plan", plan, _exit_0, "no changes")),
        ("destroy", "terraform destroy", lambda: command_step("destroy", destroy, destroy_ok, destroy_means)),
        ("down", "the server stopped, the folder removed", lambda: _down(folder, running)),
    ]
    print(f"tour of {stack} in a sandbox ({folder}); every step's log is in {folder / 'logs'} until the end", flush=True)
    try:
        for number, (name, what, run) in enumerate(plan_steps, start=1):
            print(f"[{number}/{len(plan_steps)}] {name:<8} {what} ...", end=" ", flush=True)
            started = time.monotonic()
            try:
                outcome = run()
            except cli.SandboxError as error:
                outcome = Outcome(False, str(error))
            seconds = time.monotonic() - started
            results.append((name, outcome, seconds))
            print(f"{'ok' if outcome.ok else 'FAILED'}, {seconds:.0f} s: {outcome.detail}", flush=True)
            if not outcome.ok:
                steps.stop_all()
                if running is not None:
                    cli.stop_server_of(running)
                _summary(results)
                where = f"; its log: {outcome.log}" if outcome.log else ""
                print(f"error: the tour stopped at {name}{where} (pipenv run sandbox down removes {folder})", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        print(flush=True)
        steps.stop_all()
        cli.stop(folder, running or cli.Running.read(folder))
        raise
    _summary(results)
    return 0


def _exit_0(record: steps.Record) -> bool:
    return bool(record["returncode"] == 0)


def _down(folder: Path, running: cli.Running | None) -> Outcome:
    cli.stop(folder, running)
    return Outcome(not folder.exists() and (running is None or not running.alive), f"removed {folder}")


def _summary(results: list[tuple[str, Outcome, float]]) -> None:
    width = max(len(name) for name, _, _ in results)
    print(f"\n{'step':<{width}}  result  seconds")
    for name, outcome, seconds in results:
        print(f"{name:<{width}}  {'ok' if outcome.ok else 'FAILED':<6}  {seconds:7.1f}")
    print(f"{'total':<{width}}  {'':<6}  {sum(seconds for _, _, seconds in results):7.1f}")
