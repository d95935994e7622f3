#!/usr/bin/env bash
# Sanity, unit and lab integration tests on the older ansible-core lines, on python3.11
# (ansible-core 2.20+ needs Python >= 3.12, so 2.16 and 2.19 are the lines 3.11 can carry).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
for core in 2.16 2.19; do
  venv=".venv-$core"
  tools/bootstrap-venv.sh "$venv" "tests/requirements/dev-$core.txt" 3.11
  echo "=== ansible-core $core: sanity"
  tools/sanity.sh "$repo/$venv/bin/python" "$repo/.build/test-$core/ansible_collections/certops/microsoft" 3.11
  echo "=== ansible-core $core: units and integration"
  # The OpenSSL oracle compares cryptography with openssl and involves no ansible-core code, so
  # it runs once, in `make test`. Of the integration tests, the lines run what depends on the
  # ansible-core version (payloads, connection, module and role plumbing): the lab proofs over
  # all transports, the inventory playbook, the report playbook and the rotation; the fault and
  # bad-input suites exercise the collection's own Python and run once, in `make test`.
  PATH="$repo/$venv/bin:$PATH" "$venv/bin/python" -m pytest -q -p no:cacheprovider --ignore=tests/unit/oracle \
    tests/unit tests/lab/tests tests/integration/test_lab_*.py tests/integration/test_inventory_playbook.py \
    tests/integration/test_certificate_report.py tests/integration/test_wfm_sharepoint_rotation.py
done
# The declared floors: cryptography 42.0 (requirements.txt) with the lowest ansible-core line; ansible.windows is the
# version every lane uses (galaxy.yml declares it as the floor).
tools/bootstrap-venv.sh .venv-floors tests/requirements/floors.txt 3.11
echo "=== floors: cryptography $(.venv-floors/bin/python -c 'import cryptography; print(cryptography.__version__)'), units"
PATH="$repo/.venv-floors/bin:$PATH" .venv-floors/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/unit/oracle tests/unit
