#!/usr/bin/env bash
# Install smoke tests, as a newcomer installs from this checkout: an app in a temp folder outside the
# repo, per runtime, imports @gatehouse/sdk/<api> by its public name and calls all five APIs on the
# mock server (.ci/smoke/main.ts); then the examples under Deno and Bun. Prints "smoke: N passed, N failed".
#   Deno: deno.json "links" to the checkout (until JSR: deno add jsr:@gatehouse/sdk)
#   Bun:  bun add <checkout>
#   Node: npm install --install-links <checkout> (the checkout's npm install built dist/), on Node 22
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.tools/bin:$PATH"
passed=0
failed=0
check() { # name, command...
  local name=$1 log
  shift
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
  fi
  sed 's/^/     /' "$log"
}

[ -f dist/mod.js ] || npm run build || exit 1
. .ci/mock_env.sh

apps=$(mktemp -d /tmp/gatehouse-smoke.XXXXXX)

deno_app() {
  mkdir -p "$apps/deno" && cd "$apps/deno" || return 1
  printf '{ "imports": { "@gatehouse/sdk": "jsr:@gatehouse/sdk@^0.1.0", "effect": "npm:effect@4.1.0" },\n  "links": ["%s"] }\n' \
    "$root" >deno.json
  cp "$root/.ci/smoke/main.ts" . && deno run -A main.ts
}
bun_app() {
  mkdir -p "$apps/bun" && cd "$apps/bun" || return 1
  echo '{ "name": "bun-app", "private": true, "type": "module" }' >package.json
  bun add "$root" effect@4.1.0 >/dev/null && cp "$root/.ci/smoke/main.ts" . && bun main.ts
}
node_app() {
  mkdir -p "$apps/node" && cd "$apps/node" || return 1
  echo '{ "name": "node-app", "private": true, "type": "module" }' >package.json
  npm install --install-links --no-audit --no-fund --silent "$root" effect@4.1.0 && cp "$root/.ci/smoke/main.ts" . &&
    npx -y node@22 main.ts
}

check "Deno app (links to the checkout)" deno_app
check "Bun app (bun add <checkout>)" bun_app
check "Node 22 app (npm install <checkout>)" node_app
cd "$root"
for example in examples/*.ts; do
  check "deno run -A $example" deno run -A "$example"
  check "bun $example" bun "$example"
done
rm -rf "$apps"
echo "smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
