# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every command the README, docs/, tests/lab/README.md and the roles' READMEs give runs as written from a fresh clone.

A ```bash block is commands; other fences are output, diagrams or code to read. A block that cannot run here says why
on the line before it: ``<!-- docs-test: skip (reason) -->``. The blocks of one document run in order in one bash
(``set -euo pipefail``), from the root of a copy of the working tree with no venv on PATH and no collection path set,
as a newcomer's shell would be; the copy reuses this checkout's .venv and .collections (built by the same bootstrap),
so `make bootstrap` there only lays out the collection tree.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess

import pytest

from certops_lab.pytest_plugin import REPO_ROOT

DOCUMENTS = ["README.md", *sorted(glob.glob("docs/*.md", root_dir=REPO_ROOT)), "tests/lab/README.md",
             *sorted(glob.glob("roles/*/README.md", root_dir=REPO_ROOT))]
FENCE = re.compile(r"(?P<marker><!-- docs-test:[^\n]*-->\n)?```(?P<lang>[\w-]*)\n(?P<body>.*?)```", re.S)
SKIP = re.compile(r"^<!-- docs-test: skip \((?P<reason>[^)]+)\) -->\n$")
LOOKS_LIKE_COMMANDS = re.compile(r"^(make|ansible-playbook|ansible-galaxy|ansible-builder|python3?|pip|\.venv/bin/|export|cd|certops-lab) ")
LAB_STATE_DIRS = ("lab-state",)


def blocks(document: str) -> list:
    with open(os.path.join(REPO_ROOT, document), encoding="utf-8") as handle:
        return [match.groupdict() for match in FENCE.finditer(handle.read())]


def runnable(document: str) -> list:
    return [block["body"] for block in blocks(document) if block["lang"] == "bash" and not block["marker"]]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_skip_marker_gives_its_reason_and_every_command_block_is_labelled_bash(document):
    for block in blocks(document):
        assert not block["marker"] or SKIP.match(block["marker"]), f"{document}: write the marker as <!-- docs-test: skip (reason) -->"
        first = block["body"].lstrip().split("\n")[0]
        assert block["lang"] or not LOOKS_LIKE_COMMANDS.match(first), f"{document}: label the block starting {first!r} as ```bash"


@pytest.fixture(name="fresh_clone", scope="module")
def fresh_clone_fixture(tmp_path_factory):
    """A copy of the working tree's files (modification times kept, so make sees its stamps as current)."""
    clone = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO_ROOT, check=True, capture_output=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = os.path.join(REPO_ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(clone / name), exist_ok=True)
            shutil.copy2(source, clone / name)
    for shared in (".venv", ".collections"):
        os.symlink(os.path.join(REPO_ROOT, shared), clone / shared)
    return clone


def newcomer_environment() -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if ".venv" not in part)
    return env


def script(clone, commands: list) -> str:
    downs = " ".join(f"{clone}/{name}" for name in LAB_STATE_DIRS)
    lines = ["set -euo pipefail", f"cd {clone}",
             f"trap 'for d in {downs}; do [ -e \"$d/pid\" ] && PYTHONPATH={clone}/tests/lab {clone}/.venv/bin/python -m certops_lab down "
             "--state-dir \"$d\" >/dev/null 2>&1; done; true' EXIT"]
    for number, body in enumerate(commands, 1):
        lines += [f"echo '### block {number}' >&2", body]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("document", [document for document in DOCUMENTS if runnable(document)])
def test_every_documented_command_runs_from_a_fresh_clone(document, fresh_clone):
    done = subprocess.run(["bash", "-c", script(fresh_clone, runnable(document))], env=newcomer_environment(), capture_output=True,
                          text=True, timeout=900, check=False)
    failed = (done.stderr.rsplit("### block ", 1)[-1].split("\n", 1)[0]) if "### block " in done.stderr else "?"
    assert done.returncode == 0, f"{document}: block {failed} failed\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def test_a_failing_command_fails_its_document_and_names_the_block(fresh_clone):
    done = subprocess.run(["bash", "-c", script(fresh_clone, ["true", "ansible-playbook --version >/dev/null"])], env=newcomer_environment(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and done.stderr.rsplit("### block ", 1)[-1].startswith("2"), "a newcomer's shell has no ansible-playbook on PATH"
