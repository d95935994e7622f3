# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Molecule scenarios of the collection (extensions/molecule/), run the way a role user runs them."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from certops_lab.pytest_plugin import REPO_ROOT

EXTENSIONS = os.path.join(REPO_ROOT, "extensions")
SCENARIOS = sorted(name for name in os.listdir(os.path.join(EXTENSIONS, "molecule"))
                   if os.path.isfile(os.path.join(EXTENSIONS, "molecule", name, "molecule.yml")))


def molecule_environment(tmp_path) -> dict:
    """This checkout's collections (also set in each scenario's env), no proxies, a private molecule cache."""
    env = dict(os.environ)
    env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1",
                "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp")})
    env.pop("ANSIBLE_CONFIG", None)
    return env


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario_passes_create_check_converge_idempotence_verify_destroy(scenario, tmp_path):
    executable = shutil.which("molecule")
    assert executable, "molecule is not on PATH: put the venv's bin directory first in PATH"
    completed = subprocess.run([executable, "test", "-s", scenario], cwd=EXTENSIONS, capture_output=True, text=True, timeout=900,
                               check=False, env=molecule_environment(tmp_path))
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    for action in ("create", "check", "converge", "idempotence", "verify", "destroy"):
        assert f"{action}: Executed: Successful" in output, f"{action} did not run: {output[-3000:]}"
