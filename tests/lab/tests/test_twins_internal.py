# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of Ansible's plumbing on a simulated host: mkdtemp, expand_user, put_file, fetch_file, cleanup (wire reference §7)."""
from __future__ import annotations

import base64
import hashlib

import pytest

from certops_lab import twins
from certops_lab.contracts import InternalAction
from twins_lab import new_host

BUFFER = 524288


def _do(estate, host, kind: str, params: dict, data: bytes = b""):
    return twins.run_internal(estate, host, InternalAction(kind, params, data))


@pytest.mark.parametrize("directory", ["%TEMP%", "$env:TEMP", "%tmp%"])
def test_mkdtemp_creates_directory_under_user_temp(directory):
    estate, host = new_host(user="ansible")
    result = _do(estate, host, "mkdtemp", {"Directory": directory, "Name": "ansible-tmp-1-2"})
    path = result.stdout.decode().strip()
    assert result.rc == 0 and path == "C:\\Users\\ansible\\AppData\\Local\\Temp\\ansible-tmp-1-2"
    assert host.files.is_dir(path)


def test_mkdtemp_fails_when_directory_exists():
    estate, host = new_host()
    _do(estate, host, "mkdtemp", {"Directory": "%TEMP%", "Name": "ansible-tmp-x"})
    result = _do(estate, host, "mkdtemp", {"Directory": "%TEMP%", "Name": "ansible-tmp-x"})
    assert result.rc == 1 and b"already exists" in result.stderr


@pytest.mark.parametrize("path, expected", [("~", "C:\\Users\\ansible"), ("~\\ansible-tmp", "C:\\Users\\ansible\\ansible-tmp"),
                                            ("C:\\Windows\\Temp", "C:\\Windows\\Temp")])
def test_expand_user_resolves_home(path, expected):
    estate, host = new_host()
    assert _do(estate, host, "expand_user", {"Path": path}).stdout.decode().strip() == expected


@pytest.mark.parametrize("content", [b"", b"hello", bytes(range(256)) * 3000])
def test_put_file_answers_exactly_the_lowercase_sha1(content):
    estate, host = new_host()
    result = _do(estate, host, "put_file", {"Path": f"{host.temp_dir}\\source"}, content)
    assert result.rc == 0
    assert result.stdout == ('{"sha1":"%s"}' % hashlib.sha1(content).hexdigest()).encode()
    assert host.files.read(f"{host.temp_dir}\\SOURCE") == content


def test_put_file_fails_when_parent_is_missing():
    estate, host = new_host()
    result = _do(estate, host, "put_file", {"Path": "C:\\missing\\dir\\file"}, b"x")
    assert result.rc == 1 and b"Could not find a part of the path" in result.stderr


def _fetch_all(estate, host, path: str, buffer_size: int) -> tuple:
    """Loop as Ansible's fetch_file does: raise Offset until a chunk is shorter than BufferSize."""
    data, offset, calls = b"", 0, 0
    while True:
        result = _do(estate, host, "fetch_file", {"Path": path, "BufferSize": buffer_size, "Offset": offset})
        calls += 1
        chunk = base64.b64decode(result.stdout.strip())
        data += chunk
        offset += len(chunk)
        if len(chunk) < buffer_size:
            return data, calls


@pytest.mark.parametrize("size, buffer_size, calls", [(0, BUFFER, 1), (10, 4, 3), (8, 4, 3), (BUFFER * 2 + 1, BUFFER, 3)])
def test_fetch_file_returns_chunks_at_offset(size, buffer_size, calls):
    estate, host = new_host()
    content = bytes((index * 7) % 256 for index in range(size))
    host.files.write("C:\\Data\\report.bin", content)
    assert _fetch_all(estate, host, "C:\\Data\\report.bin", buffer_size) == (content, calls)


def test_fetch_file_of_empty_file_has_empty_stdout():
    estate, host = new_host()
    host.files.write("C:\\Data\\empty", b"")
    assert _do(estate, host, "fetch_file", {"Path": "C:\\Data\\empty", "BufferSize": BUFFER, "Offset": 0}).stdout == b""


def test_fetch_file_of_directory_says_dir():
    estate, host = new_host()
    result = _do(estate, host, "fetch_file", {"Path": host.temp_dir, "BufferSize": BUFFER, "Offset": 0})
    assert result.rc == 0 and result.stdout.strip() == b"[DIR]"


def test_fetch_file_of_missing_path_fails_with_rc_1():
    estate, host = new_host()
    result = _do(estate, host, "fetch_file", {"Path": "C:\\nope.txt", "BufferSize": BUFFER, "Offset": 0})
    assert result.rc == 1 and result.stderr.strip() == b"C:\\nope.txt does not exist"


def test_cleanup_removes_the_temp_directory():
    estate, host = new_host()
    path = _do(estate, host, "mkdtemp", {"Directory": "%TEMP%", "Name": "ansible-tmp-9"}).stdout.decode().strip()
    _do(estate, host, "put_file", {"Path": f"{path}\\source"}, b"pfx")
    result = _do(estate, host, "cleanup", {"Path": path + "\\.", "Recurse": True})   # ansible-core 2.21 sends <tmp>\.
    assert result.rc == 0 and not host.files.exists(path) and host.files.is_dir(host.temp_dir)


def test_cleanup_without_recurse_refuses_a_full_directory():
    estate, host = new_host()
    host.files.write("C:\\Work\\a.txt", b"1")
    result = _do(estate, host, "cleanup", {"Path": "C:\\Work", "Recurse": False})
    assert result.rc == 1 and host.files.exists("C:\\Work\\a.txt")


def test_unknown_internal_action_fails_clearly():
    estate, host = new_host()
    result = _do(estate, host, "reboot", {})
    assert result.rc == 1 and b"does not know the internal action 'reboot'" in result.stderr
