# Sourced by .ci/smoke.sh and .ci/readme.sh: starts `deno task mock` on a free port (stopped on exit)
# and exports the README's mock variables (its block with `export PUID_API_KEY`), pointed at it.
mock_log=$(mktemp)
setsid deno task mock --port 0 >"$mock_log" 2>&1 &
mock_pid=$!
trap 'kill -- -"$mock_pid" 2>/dev/null' EXIT
mock_origin=""
for _ in $(seq 150); do
  mock_origin=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$mock_log" | sed 's/listening on //')
  [ -n "$mock_origin" ] && break
  sleep 0.2
done
if [ -z "$mock_origin" ]; then
  echo "the mock server did not start:" >&2
  cat "$mock_log" >&2
  exit 1
fi
mock_exports=$(awk '/^```sh$/ { block = ""; inside = 1; next } /^```$/ { if (inside && block ~ /export PUID_API_KEY/) printf "%s", block; inside = 0; next } inside { block = block $0 "\n" }' README.md)
if [ -z "$mock_exports" ]; then
  echo "README.md has no sh block exporting PUID_API_KEY" >&2
  exit 1
fi
eval "${mock_exports//http:\/\/127.0.0.1:4010/$mock_origin}"
echo "mock server on $mock_origin; the README's variables exported"
