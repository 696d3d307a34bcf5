"""The README is a front page and every link between it, docs/ and examples/ resolves.

A relative link must name a file that exists, and its #anchor a heading of that file (GitHub's slugs: lowercase,
punctuation dropped, spaces to '-', a repeated heading gets -1, -2, ...). The docs/<file>.md#<anchor> references
that messages, docstrings and comments give (e.g. a plan's "(docs/runbook.md#1-bootstrap-the-state-bucket-once)")
are held to the same rule.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import PROJECT_DIR

README = PROJECT_DIR / "README.md"
DOCS = [
    "accounts.md", "alarms.md", "architecture.md", "configuration.md", "cost.md", "database.md", "development.md", "pipeline.md",
    "releases.md", "runbook.md", "sandbox.md", "verification.md",
]  # fmt: skip
FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
CODE_REFERENCE = re.compile(r"\bdocs/([a-z]+\.md)(?:#([a-z0-9_-]+))?")
SOURCES = ("stacks", "constructs_lib", "release", "costs", "scripts", "tests", ".github", "security", ".ci", "sandbox")


def prose(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    for line in prose(path.read_text()):
        if match := re.match(r"#{1,6} (.+)", line):
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            seen.setdefault(f"{base}-{count}" if count else base, 1)
    return set(seen)


def broken_links(path: Path) -> list[str]:
    """Each relative link of a Markdown file that names no file, or an anchor that file does not have."""
    broken, label = [], path.relative_to(PROJECT_DIR) if path.is_relative_to(PROJECT_DIR) else path.name
    for line in prose(path.read_text()):
        for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            name, _, anchor = target.partition("#")
            linked = (path.parent / name).resolve() if name else path
            if not linked.exists():
                broken.append(f"{label}: {target}: no such file")
            elif anchor and (linked.is_dir() or linked.suffix != ".md" or anchor not in anchors(linked)):
                broken.append(f"{label}: {target}: no such heading")
    return broken


def pages() -> list[Path]:
    return [README, *sorted((PROJECT_DIR / "docs").glob("*.md")), *sorted((PROJECT_DIR / "examples").glob("**/README.md"))]


def test_the_readme_is_a_front_page_with_the_two_commands_first() -> None:
    """At most 15 KB; the two commands (CI's contract with .ci/run) right under the title."""
    text = README.read_text()
    assert len(text.encode()) <= 15 * 1024, f"README.md is {len(text.encode())} bytes: move detail into docs/"
    assert text.startswith(
        "# Wallet service infrastructure (CDK for Terraform, Python)\n\n```bash\n"
        "python3 -m pip install pipenv==2026.10.3 && python3 -m pipenv sync --dev && python3 -m pipenv run setup-cli "
        "&& python3 -m pipenv run synth\npython3 -m pipenv run test\n```\n"
    )


def test_the_docs_are_one_file_per_question_and_each_is_linked_from_the_readme() -> None:
    assert sorted(path.name for path in (PROJECT_DIR / "docs").iterdir()) == DOCS
    readme = README.read_text()
    for name in DOCS:
        assert f"](docs/{name})" in readme, name
        lines = (PROJECT_DIR / "docs" / name).read_text().splitlines()
        assert lines[0].startswith("# ") and not lines[1] and lines[2] and not lines[3], f"{name}: a title, then its question"


def test_every_link_between_the_readme_docs_and_examples_resolves() -> None:
    assert not [line for page in pages() for line in broken_links(page)]


def test_every_docs_reference_in_the_code_resolves() -> None:
    broken = []
    for folder in SOURCES:
        for path in sorted((PROJECT_DIR / folder).rglob("*")):
            if not path.is_file() or path.suffix not in ("", ".py", ".sh", ".yml", ".toml", ".cjs") or ".venv" in path.parts:
                continue
            for name, anchor in CODE_REFERENCE.findall(path.read_text(errors="replace")):
                target = PROJECT_DIR / "docs" / name
                if not target.exists() or (anchor and anchor not in anchors(target)):
                    broken.append(f"{path.relative_to(PROJECT_DIR)}: docs/{name}#{anchor}")
    assert not broken, "\n".join(broken)


def test_the_checker_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text(
        "# Other\n\n## 1. Bootstrap the state bucket (once)\n\n## `wallet`: the key\n\n## Twice\n\n## Twice\n"
    )
    page.write_text(
        "# Page\n\n[ok](other.md#1-bootstrap-the-state-bucket-once) [ok](other.md#wallet-the-key) [ok](other.md#twice-1)"
        " [ok](#page) [web](https://example.com/x)\n[gone](missing.md) [no](other.md#bootstrap) [no](#nothing)\n"
        "```\n[in code](missing.md)\n```\n"
    )
    assert [line.split(": ", 1)[1] for line in broken_links(page)] == [
        "missing.md: no such file", "other.md#bootstrap: no such heading", "#nothing: no such heading",
    ]  # fmt: skip
