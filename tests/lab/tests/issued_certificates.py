# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates issued by one in-memory lab CA at a fixed instant, cached: shared by the twin
tests of the certops scripts that read Windows certificate stores."""
from __future__ import annotations

import datetime
import functools

from certops_lab.pki import LabCA

NOW = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)


@functools.lru_cache(maxsize=None)
def lab_ca() -> LabCA:
    return LabCA.create(now=NOW)


@functools.lru_cache(maxsize=None)
def issued(subject: str, key_type: str = "rsa"):
    """(certificate, private key) valid from NOW for 90 days."""
    return lab_ca().issue(subject, not_before=NOW, not_after=NOW + datetime.timedelta(days=90), key_type=key_type)
