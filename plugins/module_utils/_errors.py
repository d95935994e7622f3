# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one domain exception of certops.microsoft.

PRIVATE to the collection: the name and location may change without notice.

Every user mistake the collection detects (a bad thumbprint, a wrong PFX password, a file that is
not a certificate) raises CertopsError. Its str() is the message shown to the user: it names the
problem and the fix. Modules turn it into ``fail_json(msg=...)``, filters into
AnsibleFilterError, action plugins into a failed result, so the user never sees a traceback.
"""
from __future__ import annotations


class CertopsError(Exception):
    """A problem the user can fix; the message says what is wrong and what to do."""


class UncertainOutcome(CertopsError):
    """A write whose answer was lost (a timeout, a dropped connection after the request was sent):
    it may or may not have taken effect. The message says which write; a re-run reads the live
    state and finds out."""
