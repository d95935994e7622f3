# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/_cryptography.py: what a module start imports, and what it leaves for first use."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils import _cryptography as crypto

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
PROBE = """
import json, sys
sys.path.insert(0, {tests!r})
import conftest  # installs the collection finder
{import_line}
print(json.dumps(sorted(name for name in sys.modules if name.startswith("cryptography.hazmat.primitives.serialization"))))
"""


def modules_loaded_by(module: str) -> list:
    """The serialization modules a fresh interpreter has loaded after importing ``module`` (no other test's imports);
    ``cryptography.x509`` stands for the library's own baseline."""
    own = f"from ansible_collections.certops.microsoft.plugins.module_utils import {module}"
    import_line = "import cryptography.x509" if module == "cryptography.x509" else own
    code = PROBE.format(tests=os.path.join(REPO, "tests"), import_line=import_line)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["_cryptography", "_certificate", "_public_certificate"])
def test_reading_certificates_does_not_import_pkcs7_pkcs12_or_the_serialization_package(module):
    # cryptography before 43 loads serialization with x509 itself; the collection must add nothing to that.
    assert set(modules_loaded_by(module)) <= set(modules_loaded_by("cryptography.x509"))


def test_a_module_left_for_first_use_is_imported_when_read_and_kept():
    assert crypto.pkcs12.load_pkcs12 is crypto.pkcs12.load_pkcs12 and "pkcs12" in vars(crypto)


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        crypto.nothing  # noqa: B018  pylint: disable=pointless-statement
