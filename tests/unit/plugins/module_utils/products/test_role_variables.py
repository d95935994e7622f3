# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""settings_from_variables takes each product option from the role variable <role>_<option>: every option a role
passes that way must be one of the role's documented variables, and PHASE_OPTIONS may name only real options."""
from __future__ import annotations

import importlib
import pathlib

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[5]
PRODUCTS = ("wfm_sharepoint", "adfs_entra", "exchange_auth", "d365_service_fabric")
# Options the roles pass themselves (not role variables): exchange's second plan round, d365's watch timing.
TASK_ONLY_OPTIONS = {"exchange_auth": {"replanned"}, "d365_service_fabric": {"watch_interval", "watch_timeout"}}


def rules(product: str):
    return importlib.import_module(f"ansible_collections.certops.microsoft.plugins.module_utils._products.{product}")


def role_variables(product: str) -> set:
    specs = yaml.safe_load((REPO / "roles" / product / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return set(specs["argument_specs"]["main"]["options"])


@pytest.mark.parametrize("product", PRODUCTS)
def test_every_product_option_is_a_role_variable_of_the_same_name(product):
    module = rules(product)
    options = set(module.ARGUMENT_SPEC) - TASK_ONLY_OPTIONS.get(product, set())
    assert {f"{module.VAR}{option}" for option in options} - role_variables(product) == set()


@pytest.mark.parametrize("product", PRODUCTS)
def test_phase_options_name_only_options_of_the_product(product):
    module = rules(product)
    for phase, options in getattr(module, "PHASE_OPTIONS", {}).items():
        assert set(options) <= set(module.ARGUMENT_SPEC), phase
