#!/usr/bin/env bash
# CI: Debian's chromium for the index page's browser test (test/mock_index_browser_test.ts, driven
# by playwright-core from npm ci). Without it that test is skipped, saying so.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
    echo "could not install chromium; the browser test will be skipped"
  [ -x /usr/bin/chromium ] && /usr/bin/chromium --version
else
  echo "no chromium and no apt-get as root; the browser test will be skipped"
fi
exit 0
