#!/usr/bin/env bash
# Installs the Debian packages the test run uses when they are missing (needs root and apt).
# The shellcheck package lets ansible-test's `shellcheck` sanity test run instead of skipping itself;
# chromium and its driver open the estate report's HTML page in tests/integration/test_estate_report.py
# (browser downloads are not possible: Debian's build is the one the test uses).
set -u
missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "warning: please install ${missing[*]} (sanity's shellcheck test skips itself without shellcheck; the estate report's browser test needs chromium)" >&2
fi
