# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The invariant registry, check_all and the violation log."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from certops_lab import invariants
from certops_lab.invariants import ViolationLog, ViolationRecord, check_all, invariant


@pytest.fixture(name="isolated_registry")
def isolated_registry_fixture(monkeypatch):
    monkeypatch.setattr(invariants, "_REGISTRY", {})
    return invariants._REGISTRY  # pylint: disable=protected-access


def test_invariant_decorator_registers_and_returns_the_function(isolated_registry):
    def no_negative_balance(estate):
        return [f"balance {estate.balance} is negative"] if estate.balance < 0 else []

    assert invariant("no_negative_balance")(no_negative_balance) is no_negative_balance
    assert isolated_registry == {"no_negative_balance": no_negative_balance}


def test_check_all_reports_each_message_with_its_invariant(isolated_registry):
    invariant("balance")(lambda estate: ["negative"] if estate.balance < 0 else [])
    invariant("limit")(lambda estate: ["over", "way over"] if estate.balance > 10 else [])
    assert not check_all(SimpleNamespace(balance=5))
    assert [(item.invariant, item.message) for item in check_all(SimpleNamespace(balance=11))] == [("limit", "over"), ("limit", "way over")]
    assert len(isolated_registry) == 2


def test_check_all_turns_a_crashing_invariant_into_a_violation(isolated_registry):
    def broken(estate):
        return [estate.missing_attribute]

    invariant("broken")(broken)
    found = check_all(SimpleNamespace())
    assert len(found) == 1 and found[0].invariant == "broken"
    assert "could not be checked: AttributeError" in found[0].message
    assert "broken" in isolated_registry


def test_load_product_models_registers_the_product_invariants():
    names = invariants.load_product_models()
    assert "certops_lab.products.workflow" in names
    assert "sharepoint_trusts_wfm_signing_certificate" in invariants.registered()


def test_violation_log_round_trips_through_json_data():
    log = ViolationLog()
    log.record(ViolationRecord("wfm01#3", "wfm01", "ansible.windows.win_powershell", "wfm_outbound", ["x: broken"], "2026-01-01T00:00:00Z"))
    again = ViolationLog.from_list(log.to_list())
    assert again.to_list() == log.to_list()
    assert again.records()[0].call_id == "wfm01#3"
