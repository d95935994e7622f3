# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""execution-environment.yml as docs/awx.md builds it: the collection tarball next to it, then `ansible-builder create`
(no container runtime here, so the build context is checked, not an image)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import yaml

from certops_lab.pytest_plugin import REPO_ROOT


def galaxy_version() -> str:
    with open(os.path.join(REPO_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


def test_ansible_builder_creates_a_context_with_the_collection_a_public_base_and_dnf(tmp_path):
    for name in ("execution-environment.yml", "bindep.txt"):
        shutil.copy(os.path.join(REPO_ROOT, name), tmp_path / name)
    bin_dir = os.path.dirname(sys.executable)
    subprocess.run([os.path.join(bin_dir, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(tmp_path / "ee-build"), REPO_ROOT],
                   check=True, capture_output=True)
    created = subprocess.run([os.path.join(bin_dir, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
                              "--output-filename", "Containerfile"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert created.returncode == 0, created.stdout + created.stderr
    containerfile = (tmp_path / "context" / "Containerfile").read_text(encoding="utf-8")
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile and 'ARG PKGMGR="/usr/bin/dnf"' in containerfile
    assert (tmp_path / "context" / "_build" / "collections" / f"certops-microsoft-{galaxy_version()}.tar.gz").is_file()
    requirements = yaml.safe_load((tmp_path / "context" / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert {"name": f"collections/certops-microsoft-{galaxy_version()}.tar.gz", "type": "file"} in requirements["collections"]
    bindep = (tmp_path / "context" / "_build" / "bindep.txt").read_text(encoding="utf-8")
    assert "krb5-devel [compile platform:rpm]" in bindep and "python3.11-devel [compile platform:rpm]" in bindep


def test_the_execution_environment_requires_the_ansible_windows_floor_galaxy_declares():
    with open(os.path.join(REPO_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        declared = yaml.safe_load(handle)["dependencies"]["ansible.windows"]
    with open(os.path.join(REPO_ROOT, "execution-environment.yml"), encoding="utf-8") as handle:
        collections = yaml.safe_load(handle)["dependencies"]["galaxy"]["collections"]
    assert next(item["version"] for item in collections if item["name"] == "ansible.windows") == declared
