# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certops Jinja tests: expires_within on certificate facts and plain dates."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleError

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import inspect_data
from ansible_collections.certops.microsoft.plugins.test import certops as test_plugins
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

TESTS = test_plugins.TestModule().tests()
EXPIRES_WITHIN = TESTS["expires_within"]
NOW = factory.NOW


def test_test_module_exposes_expires_within():
    assert sorted(TESTS) == ["expires_within"]


@pytest.mark.parametrize("days_left, window, expected", [
    (10, 30, True), (30, 30, True), (31, 30, False), (-5, 0, True), (365, 90, False),
])
def test_expires_within_on_certificate_facts(days_left, window, expected):
    info = inspect_data(factory.der(factory.make_cert(days=days_left, not_before_days=-400).cert), now=NOW)
    assert EXPIRES_WITHIN(info, window, now=NOW) is expected


def test_expires_within_on_not_after_text():
    assert EXPIRES_WITHIN("2026-12-01T00:00:00Z", 30, now=NOW) is True
    assert EXPIRES_WITHIN("2027-12-01", 30, now=NOW) is False


def test_expires_within_uses_the_real_clock_by_default():
    assert EXPIRES_WITHIN("2000-01-01", 1) is True


@pytest.mark.parametrize("value, days, message", [
    ({"subject": "CN=x"}, 30, "with a not_after key"),
    ("2026-12-01", -1, "the number of days must be a number >= 0"),
    ("tomorrow", 30, "is not an ISO 8601 date"),
])
def test_expires_within_raises_a_clear_ansible_error(value, days, message):
    with pytest.raises(AnsibleError, match=f"expires_within: .*{message}"):
        EXPIRES_WITHIN(value, days, now=NOW)
