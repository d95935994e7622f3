# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``LabServer``: every simulated host's WS-Man listener, served by one asyncio loop in one thread.

Why one loop: 200 hosts at forks 50 means a few hundred mostly idle keep-alive connections; a
selector loop serves them at a fraction of the CPU of a thread per connection, and no host can
block another. Runtime calls (the twins) run in a small thread pool, so a slow twin or a
``timeout`` fault never stalls a listener. See ``certops_lab.wsman`` for the API.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from certops_lab.contracts import ExecRequest, InjectedFault
from certops_lab.wsman import http, soap
from certops_lab.wsman.auth import NTLM_USERS, Credentials
from certops_lab.wsman.shells import HostShells

TRANSPORTS = {"basic": "http", "https": "https", "ntlm": "http"}
WSMAN_PATH = "/wsman"
log = logging.getLogger(__name__)


@dataclass
class Listener:
    """One simulated host: its socket, credentials and shell state (one state per port)."""
    name: str
    port: int
    transport: str
    credentials: Credentials
    sock: socket.socket
    shells: Optional[HostShells] = None
    server: Optional[asyncio.AbstractServer] = None

    @property
    def scheme(self) -> str:
        return TRANSPORTS[self.transport]


def bind_socket(address: str, port: int) -> socket.socket:
    """A listening socket; raises OSError when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(256)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class LabServer:
    """WS-Man listeners for many hosts on ``bind`` (127.0.0.1), one port each."""

    def __init__(self, runtime_for: Callable, *, bind: str = "127.0.0.1", ca=None, long_poll: float = 3.0,
                 timeout_hold: float = 40.0, workers: int = 32):
        self.runtime_for = runtime_for
        self.bind = bind
        self.ca = ca
        self.long_poll = long_poll
        self.timeout_hold = timeout_hold
        self.listeners: dict = {}
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lab-exec")
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._tls: Optional[ssl.SSLContext] = None

    # --- public API ----------------------------------------------------------------------------
    @property
    def endpoints(self) -> dict:
        """name -> {"port", "scheme", "transport"} for every host."""
        return {name: {"port": item.port, "scheme": item.scheme, "transport": item.transport}
                for name, item in self.listeners.items()}

    def cpu_seconds(self) -> float:
        """CPU time the listener thread (the event loop serving every host) has used so far; 0 unless running."""
        if self._thread is None or not self._thread.is_alive():
            return 0.0
        return time.clock_gettime(time.pthread_getcpuclockid(self._thread.ident))

    def add_host(self, name: str, *, port: int = 0, transport: str = "basic", username: str, password: str,
                 domain: str = "LAB") -> int:
        """Open the host's listener (port 0: any free port) and return its port; OSError if taken."""
        if transport not in TRANSPORTS:
            raise ValueError(f"transport {transport!r} is not supported: use one of {', '.join(TRANSPORTS)}")
        if transport == "https" and self.ca is None:
            raise ValueError(f"host {name!r} uses https, which needs the lab CA: create LabServer(..., ca=LabCA.load_or_create(directory))")
        if name in self.listeners:
            raise ValueError(f"host {name!r} already has a listener on port {self.listeners[name].port}")
        credentials = Credentials(transport, username, password, domain)
        if transport == "ntlm":
            NTLM_USERS.add(id(self), credentials)
        sock = bind_socket(self.bind, port)
        listener = Listener(name, sock.getsockname()[1], transport, credentials, sock)
        self.listeners[name] = listener
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._serve(listener), self._loop).result()
        return listener.port

    def start(self) -> "LabServer":
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="lab-wsman", daemon=True)
        self._thread.start()
        self._loop = loop
        for listener in list(self.listeners.values()):
            asyncio.run_coroutine_threadsafe(self._serve(listener), loop).result()
        return self

    def stop(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._close_all(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            self._loop = None
        for listener in self.listeners.values():
            listener.sock.close()
        NTLM_USERS.remove_owner(id(self))
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- listeners -----------------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        """One TLS server context (LabCA certificate for localhost and 127.0.0.1) for all https hosts."""
        if self._tls is None:
            cert_pem, key_pem = self.ca.issue_server_certificate()
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            with tempfile.TemporaryDirectory(prefix="certops-lab-tls-") as directory:
                chain = os.path.join(directory, "server.pem")
                descriptor = os.open(chain, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(cert_pem + key_pem)
                self._tls.load_cert_chain(chain)
        return self._tls

    async def _serve(self, listener: Listener) -> None:
        address = f"{listener.scheme}://{self.bind}:{listener.port}{WSMAN_PATH}"
        listener.shells = HostShells(listener.name, address, self._exec_starter(listener.name), self.long_poll)
        tls = self._tls_context() if listener.transport == "https" else None

        async def connected(reader, writer):
            await self._connection(listener, reader, writer)
        listener.server = await asyncio.start_server(connected, sock=listener.sock, ssl=tls, limit=http.MAX_HEADER_BYTES)

    async def _close_all(self) -> None:
        """Stop accepting, then end every connection task (held replies included) before the loop stops."""
        for listener in self.listeners.values():
            if listener.server is not None:
                listener.server.close()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _exec_starter(self, name: str) -> Callable:
        loop = asyncio.get_running_loop()

        def start_exec(request: ExecRequest):
            return loop.run_in_executor(self._executor, self._execute, name, request)
        return start_exec

    def _execute(self, name: str, request: ExecRequest):
        return self.runtime_for(name).execute(request)

    # --- connections ---------------------------------------------------------------------------
    async def _connection(self, listener: Listener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = listener.credentials.new_session()
        try:
            while True:
                request = await http.read_request(reader)
                if request is None:
                    break
                reply = await self._respond(listener, session, request)
                if reply is None:     # a dropped connection, as the fault plan asked
                    break
                writer.write(reply)
                await writer.drain()
                if not request.keep_alive:
                    break
        except http.HttpError as error:
            writer.write(http.response(error.status, str(error).encode(), "text/plain"))
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _respond(self, listener: Listener, session, request: http.HttpRequest) -> Optional[bytes]:
        if request.path.split("?", 1)[0].lower() != WSMAN_PATH:
            return http.response(404)
        if request.method != "POST":
            return http.response(405)
        ready = session.admit(request)
        if ready is not None:
            return ready
        message_id = ""
        try:
            wsman_request = soap.parse_request(session.open(request))
            message_id = wsman_request.message_id
            return session.seal(200, await listener.shells.handle(wsman_request))
        except soap.SoapError as error:
            return session.seal(error.status, soap.fault(error, message_id))
        except InjectedFault as fault:
            return await self._injected(fault.kind, session, message_id)

    async def _injected(self, kind: str, session, message_id: str) -> Optional[bytes]:
        """Wire behaviour of a transport fault: drop, http500, timeout (hold, then drop) or auth (401)."""
        if kind == "http500":
            error = soap.SoapError("The lab injected an HTTP 500 for this call (fault plan).")
            return session.seal(500, soap.fault(error, message_id))
        if kind == "auth":
            return session.unauthorized()
        if kind == "timeout":
            await asyncio.sleep(self.timeout_hold)
        return None
