#!/usr/bin/env bash
# Every `ts` block of README.md runs as written, under Deno and under Bun, against `deno task mock`
# (started here on a free port, with the README's variables exported; the README's
# http://127.0.0.1:4010 is replaced by that port). The mock is reset before each run. Prints
# "README blocks: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.tools/bin:$PATH"
. .ci/mock_env.sh
# Inside the checkout, so that @gatehouse/sdk resolves to it (deno.json's imports; Bun: the package's own name).
blocks=$(mktemp -d "$root/.readme-blocks.XXXXXX")
work=$(mktemp -d) # the working directory the blocks run in (keys.db...)
trap 'kill -- -"$mock_pid" 2>/dev/null; rm -rf "$blocks" "$work"' EXIT

awk -v dir="$blocks" '
  /^```ts$/ { n++; file = sprintf("%s/line%04d.ts", dir, NR + 1); inside = 1; next }
  /^```$/ { inside = 0; next }
  inside { print > file }
' README.md
sed -i "s#http://127.0.0.1:4010#$mock_origin#g" "$blocks"/*.ts

reset_mock() { node -e "fetch(process.argv[1], { method: 'POST' }).then((r) => process.exit(r.ok ? 0 : 1))" "$mock_origin/__mock/reset"; }
passed=0
failed=0
for file in "$blocks"/*.ts; do
  line=$(basename "$file" .ts | sed 's/^line0*//')
  for runtime in deno bun; do
    reset_mock
    rm -f "$work"/*
    if [ "$runtime" = deno ]; then
      command=(deno run -A --config "$root/deno.json" "$file")
    else
      command=(bun "$file")
    fi
    if output=$(cd "$work" && timeout 120 "${command[@]}" 2>&1); then
      passed=$((passed + 1))
      echo "ok   README.md:$line under $runtime"
    else
      failed=$((failed + 1))
      echo "FAIL README.md:$line under $runtime"
    fi
    printf '%s\n' "$output" | sed 's/^/     /'
  done
done
echo "README blocks: $passed passed, $failed failed"
[ "$failed" = 0 ]
