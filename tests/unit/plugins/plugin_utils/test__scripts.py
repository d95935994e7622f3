# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of plugin_utils/_scripts.py: loading certops scripts by name."""
from __future__ import annotations

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.plugin_utils import _scripts


@pytest.fixture(name="script_dir")
def fixture_script_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(_scripts, "SCRIPT_DIR", str(tmp_path))
    _scripts.load_script.cache_clear()
    yield tmp_path
    _scripts.load_script.cache_clear()


def test_load_script_returns_the_shipped_inventory_script():
    text = _scripts.load_script("windows_certificate_inventory")
    assert "# certops-script: windows_certificate_inventory" in text
    assert "[CmdletBinding(SupportsShouldProcess)]" in text


@pytest.mark.parametrize("name", ["../secrets", "Windows_Inventory", "a b", "", "x.ps1", None])
def test_load_script_rejects_names_that_could_leave_the_script_folder(name):
    with pytest.raises(CertopsError, match="invalid certops script name"):
        _scripts.load_script(name)


def test_load_script_names_a_missing_script(script_dir):
    with pytest.raises(CertopsError, match=r"certops script 'absent' is missing from this installation"):
        _scripts.load_script("absent")


def test_load_script_refuses_a_script_without_its_marker(script_dir):
    (script_dir / "unmarked.ps1").write_text("# certops-script: other\nparam()\n", encoding="utf-8")
    with pytest.raises(CertopsError, match="lacks its marker line '# certops-script: unmarked'"):
        _scripts.load_script("unmarked")


def test_load_script_reads_utf8_text(script_dir):
    (script_dir / "accents.ps1").write_text("# certops-script: accents\n$city = 'Zürich café'\n", encoding="utf-8")
    assert "Zürich café" in _scripts.load_script("accents")


def test_load_script_drops_comment_and_blank_lines_but_keeps_the_marker_first(script_dir):
    (script_dir / "sample.ps1").write_text("# Copyright\n#\n# certops-script: sample\n# why\n\nparam ()\n    # indented note\n$a = 1 # kept\n",
                                           encoding="utf-8")
    assert _scripts.load_script("sample") == "# certops-script: sample\nparam ()\n$a = 1 # kept\n"


def test_load_script_pastes_include_fragments_in_place(script_dir):
    (script_dir / "include").mkdir()
    (script_dir / "include" / "helper.ps1").write_text("# fragment header\nFunction Get-Helper { 1 }\n", encoding="utf-8")
    (script_dir / "user.ps1").write_text("# certops-script: user\nparam ()\n# certops-include: helper\n    Get-Helper\n", encoding="utf-8")
    assert _scripts.load_script("user") == "# certops-script: user\nparam ()\nFunction Get-Helper { 1 }\nGet-Helper\n"


def test_load_script_names_a_missing_include_fragment(script_dir):
    (script_dir / "user.ps1").write_text("# certops-script: user\n# certops-include: absent\n", encoding="utf-8")
    with pytest.raises(CertopsError, match=r"certops script 'absent' is missing from this installation"):
        _scripts.load_script("user")


def test_shipped_scripts_travel_without_their_comment_headers():
    for name in _scripts.shipped_script_names():
        shipped = _scripts.load_script(name)
        assert [line for line in shipped.splitlines() if line.lstrip().startswith("#")] == [f"# certops-script: {name}"]


def test_shipped_script_names_excludes_include_fragments():
    names = _scripts.shipped_script_names()
    assert "windows_certificate_inventory" in names and "certificate_facts" not in names
