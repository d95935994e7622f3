# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication per listener (winrm-wire.md §9): HTTP Basic (over http or TLS) and NTLM with
message encryption, pyspnego acting as the acceptor.

Each TCP connection gets one session object from ``Credentials.new_session()``:

    ready = session.admit(request)      # a finished HTTP response (401 challenge...) or None to go on
    soap_bytes = session.open(request)  # the SOAP request in clear (NTLM: decrypted; refuses clear text)
    reply = session.seal(status, soap)  # the HTTP response (NTLM: encrypted, faults included)
    reply = session.unauthorized()      # the 401 of a wrong credential or of an injected ``auth`` fault

pyspnego's NTLM acceptor reads the users it knows from the file named by ``NTLM_USER_FILE``, one
per process, so ``NTLM_USERS`` keeps that file for every NTLM host of every server in the process;
a session additionally checks that the authenticated user is the one of its host.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
import struct
import tempfile
import threading
from typing import Optional

import spnego
from spnego._ntlm_raw.crypto import ntowfv1  # the NT hash (MD4 of UTF-16LE), which hashlib may lack under OpenSSL 3
from spnego.exceptions import SpnegoError

from certops_lab.wsman import http, soap

BASIC_CHALLENGE = ("WWW-Authenticate", 'Basic realm="WSMAN"')
NEGOTIATE_CHALLENGE = ("WWW-Authenticate", "Negotiate")
ENCRYPTED_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
ENCRYPTED_CONTENT_TYPE = f'multipart/encrypted;protocol="{ENCRYPTED_PROTOCOL}";boundary="Encrypted Boundary"'
_LENGTH = re.compile(rb"Length=(\d+)")


def _same_user(offered: str, expected: str, domain: str) -> bool:
    """``user``, ``DOMAIN\\user`` or ``user@DOMAIN`` against the host's user, case-insensitively."""
    offered = offered.lower()
    candidates = {expected.lower(), f"{domain}\\{expected}".lower(), f"{expected}@{domain}".lower()}
    return offered in candidates


class Credentials:
    """One host's user, password, domain and transport; makes the per-connection sessions."""

    def __init__(self, transport: str, username: str, password: str, domain: str = "LAB"):
        self.transport = transport
        self.username = username
        self.password = password
        self.domain = domain

    def new_session(self):
        return NtlmSession(self) if self.transport == "ntlm" else BasicSession(self)


class BasicSession:
    """HTTP Basic, sent preemptively by pywinrm; no message encryption."""

    def __init__(self, credentials: Credentials):
        self.credentials = credentials

    def accepts(self, header: str) -> bool:
        scheme, token = header.partition(" ")[::2]
        if scheme.lower() != "basic":
            return False
        try:
            user, password = base64.b64decode(token.strip()).decode("utf-8").partition(":")[::2]
        except (binascii.Error, UnicodeDecodeError):
            return False
        return password == self.credentials.password and _same_user(user, self.credentials.username, self.credentials.domain)

    def admit(self, request: http.HttpRequest) -> Optional[bytes]:
        return None if self.accepts(request.headers.get("authorization", "")) else self.unauthorized()

    @staticmethod
    def open(request: http.HttpRequest) -> bytes:
        return request.body

    @staticmethod
    def seal(status: int, body: bytes) -> bytes:
        return http.response(status, body, soap.CONTENT_TYPE)

    @staticmethod
    def unauthorized() -> bytes:
        return http.response(401, headers=[BASIC_CHALLENGE])


def smbpasswd_line(domain: str, user: str, password: str) -> str:
    """One NTLM_USER_FILE line in smbpasswd form (``[DOMAIN\\]USER:UID:LM:NT:FLAGS:TIME``).

    Why not ``DOMAIN:USER:PASSWORD``: a password with a colon would make that line unreadable, and
    pyspnego would derive the LM hash (pure-Python DES) on every authentication. NTLMv2, which
    requests-ntlm always uses, needs only the NT hash; the LM field is left zero."""
    account = f"{domain}\\{user}" if domain else user
    return f"{account}:0:{'0' * 32}:{ntowfv1(password).hex().upper()}:[U]:LCT-00000000\n"


class NtlmCredentialFile:
    """The process-wide NTLM_USER_FILE: one line per (domain, user) of every NTLM host."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict = {}      # (domain, user) lower-case -> (password, owners)
        self._directory: Optional[str] = None

    def add(self, owner: int, credentials: Credentials) -> None:
        keys = [(domain.lower(), credentials.username.lower()) for domain in ("", credentials.domain)]
        with self._lock:
            if any(self._entries.get(key, (credentials.password,))[0] != credentials.password for key in keys):
                raise ValueError(f"NTLM user {credentials.username!r} already has another password in this process: "
                                 "NTLM hosts share one credential file, so give them the same password or distinct user names")
            for key in keys:
                self._entries[key] = (credentials.password, self._entries.get(key, ("", set()))[1] | {owner})
            self._write()

    def remove_owner(self, owner: int) -> None:
        with self._lock:
            for key, (password, owners) in list(self._entries.items()):
                if owners - {owner}:
                    self._entries[key] = (password, owners - {owner})
                else:
                    del self._entries[key]
            self._write()

    def _write(self) -> None:
        if self._directory is None:
            self._directory = tempfile.mkdtemp(prefix="certops-lab-ntlm-")
        path = os.path.join(self._directory, "ntlm-users")
        lines = "".join(smbpasswd_line(domain, user, password) for (domain, user), (password, _owners) in self._entries.items())
        descriptor = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(lines)
        os.replace(path + ".tmp", path)
        os.environ["NTLM_USER_FILE"] = path


NTLM_USERS = NtlmCredentialFile()


class NtlmSession:
    """One NTLM security context per TCP connection; every SOAP body is sealed once it is set up."""

    def __init__(self, credentials: Credentials):
        self.credentials = credentials
        self.context = None
        self.sealing = False     # whether the current request came encrypted, so its reply must be

    @property
    def established(self) -> bool:
        return self.context is not None and self.context.complete

    def admit(self, request: http.HttpRequest) -> Optional[bytes]:
        header = request.headers.get("authorization", "")
        scheme, token = header.partition(" ")[::2]
        if scheme.lower() in ("negotiate", "ntlm") and token:
            return self._step(scheme, token.strip(), request)
        if not self.established:
            return http.response(401, headers=[NEGOTIATE_CHALLENGE])
        return None

    def _step(self, scheme: str, token: str, request: http.HttpRequest) -> Optional[bytes]:
        if self.context is None or self.context.complete:
            self.context = spnego.server(protocol="ntlm")
        try:
            reply = self.context.step(base64.b64decode(token))
        except (SpnegoError, binascii.Error, ValueError):
            self.context = None
            return http.response(401, headers=[NEGOTIATE_CHALLENGE])
        if not self.context.complete:
            return http.response(401, headers=[("WWW-Authenticate", f"{scheme} {base64.b64encode(reply or b'').decode()}")])
        if not _same_user(self.context.client_principal or "", self.credentials.username, self.credentials.domain):
            self.context = None
            return http.response(401, headers=[NEGOTIATE_CHALLENGE])
        # pywinrm's setup_encryption authenticates with an empty POST: nothing to run, just say yes.
        return http.response(200) if not request.body else None

    def open(self, request: http.HttpRequest) -> bytes:
        self.sealing = ENCRYPTED_PROTOCOL.lower() in request.headers.get("content-type", "").lower()
        if not self.sealing:
            raise soap.SoapError("Unencrypted traffic is disabled on this host: use NTLM message encryption.",
                                 code=soap.CODE_UNENCRYPTED, subcode="w:AccessDenied", status=400)
        return self._unwrap(request.body)

    def _unwrap(self, body: bytes) -> bytes:
        """The clear SOAP of an encrypted body. A body this context cannot read gets a bare HTTP 400, as
        from Windows: pywinrm re-sends an old context's ciphertext on a new connection after a drop,
        and Ansible tolerates exactly that 400 (not a SOAP fault) when it cleans up the command."""
        try:
            header_part, sealed_part = body.split(BOUNDARY + b"\r\n")[1:3]
            expected = int(_LENGTH.search(header_part).group(1))
            payload = sealed_part.split(b"\r\n", 1)[1]
            if payload.endswith(BOUNDARY + b"--\r\n"):
                payload = payload[:-len(BOUNDARY + b"--\r\n")]
            signature_length = struct.unpack("<i", payload[:4])[0]
            plain = self.context.unwrap_winrm(payload[4:4 + signature_length], payload[4 + signature_length:])
        except (ValueError, IndexError, AttributeError, struct.error, SpnegoError) as error:
            raise http.HttpError(400, f"The encrypted request could not be read: {error}") from None
        if len(plain) != expected:
            raise http.HttpError(400, "The encrypted request length does not match its OriginalContent header.")
        return plain

    def seal(self, status: int, body: bytes) -> bytes:
        """Encrypt every reply to an encrypted request, faults included; a refused clear request gets a clear fault."""
        if not (self.established and self.sealing):
            return http.response(status, body, soap.CONTENT_TYPE)
        wrapped = self.context.wrap_winrm(body)
        sealed = (BOUNDARY + b"\r\n\tContent-Type: " + ENCRYPTED_PROTOCOL.encode() + b"\r\n"
                  b"\tOriginalContent: type=" + soap.CONTENT_TYPE.encode() + b";Length=" + str(len(body)).encode() + b"\r\n"
                  + BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n"
                  + struct.pack("<i", len(wrapped.header)) + wrapped.header + wrapped.data + BOUNDARY + b"--\r\n")
        return http.response(status, sealed, ENCRYPTED_CONTENT_TYPE)

    @staticmethod
    def unauthorized() -> bytes:
        # No WWW-Authenticate: requests-ntlm would otherwise start a new handshake mid-session.
        return http.response(401)
