# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Entry point of ``python -m certops_lab`` (tests/lab on PYTHONPATH)."""
from __future__ import annotations

import sys

from certops_lab.cli import main

sys.exit(main())
