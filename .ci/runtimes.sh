#!/usr/bin/env bash
# Node 22 for the mock server's runtime test (test/mock_runtime_test.ts looks for
# .tools/node22/node_modules/.bin/node), from npm's `node@22` package, installed as a project of its
# own (its preinstall fetches the platform's binary) and kept off PATH: the machine's Node still
# runs everything else.
set -uo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/node22"
mkdir -p "$dir" && cd "$dir" || exit 1
[ -f package.json ] || echo '{ "private": true }' >package.json
npm install --no-audit --no-fund node@22 >/dev/null 2>&1 ||
  echo "could not install node@22; the Node 22 runtime test will be skipped"
node_modules/.bin/node --version 2>/dev/null || true
