# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's WS-Management (WinRS) server: one listener per simulated host on 127.0.0.1.

Usage::

    from certops_lab.pki import LabCA
    from certops_lab.wsman import LabServer

    server = LabServer(runtime_for, ca=LabCA.load_or_create(state_dir + "/ca"))
    port = server.add_host("wfm01", transport="ntlm", username="ansible", password="Lab-Passw0rd!")
    server.start()            # hosts may also be added after start()
    server.endpoints          # {"wfm01": {"port": 41234, "scheme": "http", "transport": "ntlm"}}
    server.stop()

``runtime_for(name)`` returns the host's runtime: an object with ``execute(ExecRequest) -> ExecResult``
(``certops_lab.contracts``). It is called in a worker thread once per WinRS command, with the command
line and all of its stdin. It may raise ``InjectedFault(kind)``, which the server turns into wire
behaviour at the Receive that would have carried the result:

=========  =========================================================================
``drop``     the TCP connection closes without a reply
``http500``  HTTP 500 with a SOAP fault (encrypted on NTLM hosts)
``timeout``  no reply for ``timeout_hold`` seconds (default 40, past pywinrm's read timeout), then close
``auth``     HTTP 401 (pywinrm: InvalidCredentialsError)
=========  =========================================================================

Constructor options: ``bind`` (127.0.0.1), ``ca`` (a LabCA; needed for https hosts), ``long_poll``
(seconds a Receive waits for a running command before the OperationTimeout fault, default 3),
``timeout_hold`` and ``workers`` (runtime threads, default 32).

Transports: ``basic`` (HTTP Basic over http), ``https`` (Basic over TLS; one server certificate
from the lab CA with SANs DNS:localhost and IP:127.0.0.1) and ``ntlm`` (NTLM over http with
message encryption; clear-text SOAP is refused with HTTP 400). Wrong credentials give 401
everywhere. Modules: ``soap`` (envelopes, faults), ``shells`` (Shell/Command state), ``auth``,
``http`` and ``server``.
"""
from __future__ import annotations

from certops_lab.wsman.server import LabServer

__all__ = ["LabServer"]
