# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jinja tests of certops.microsoft: expires_within. Documented in expires_within.yml."""
from __future__ import annotations

from ansible.errors import AnsibleError

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._timeline import expires_within as expiry_is_within


def expires_within(value, days, now=None):
    """True when the certificate (facts or not_after) expires within `days` days; an expired one does."""
    try:
        return expiry_is_within(value, days, now)
    except CertopsError as error:
        raise AnsibleError(f"expires_within: {error}") from None


class TestModule:
    """certops.microsoft tests."""

    def tests(self):
        return {"expires_within": expires_within}
