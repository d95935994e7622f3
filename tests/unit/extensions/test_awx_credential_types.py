# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX custom credential types: every injected variable is an option of a role's argument spec, every secret
input is marked secret, and every injector template names an input."""
from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TYPES = sorted(glob.glob(os.path.join(REPO, "extensions", "awx", "credential_types", "*.yml")))
SECRET_WORDS = ("password", "secret", "pfx_content", "pem")


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def role_options() -> set:
    options = set()
    for path in glob.glob(os.path.join(REPO, "roles", "*", "meta", "argument_specs.yml")):
        for entry in load(path)["argument_specs"].values():
            options |= set(entry.get("options", {}))
    return options


def test_there_are_pfx_credential_types_for_wfm_adfs_and_d365_and_a_graph_one():
    assert [os.path.basename(path) for path in TYPES] == ["certops_adfs_pfx.yml", "certops_d365_pfx.yml", "certops_graph.yml", "certops_pfx.yml"]


@pytest.mark.parametrize("path", TYPES, ids=os.path.basename)
def test_every_injected_variable_is_a_role_option(path):
    assert set(load(path)["injectors"]["extra_vars"]) - role_options() == set()


@pytest.mark.parametrize("path", TYPES, ids=os.path.basename)
def test_secret_inputs_are_marked_secret_and_injectors_name_only_inputs(path):
    credential = load(path)
    fields = {field["id"]: field for field in credential["inputs"]["fields"]}
    assert all(field.get("secret") for name, field in fields.items() if any(word in name for word in SECRET_WORDS))
    named = set(re.findall(r"\{\{\s*([a-z_]+)", yaml.safe_dump(credential["injectors"])))
    assert named - {"tower"} <= set(fields)
