#!/usr/bin/env bash
# Schemathesis (from PyPI) against the server's own OpenAPI document: a seeded demo server on a free
# loopback port, every operation exercised with generated valid and invalid requests, once
# authenticated as a hall manager and once as an administrator. Fails on any 5xx answer, any answer
# that does not match the document (status, content type, body schema), and any invalid request
# the server accepts.
#   scripts/schemathesis.sh short   # a few minutes: part of `make test`
#   scripts/schemathesis.sh long    # `make soak`: many more examples per operation
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-short}"
TARGET="${CARGO_TARGET_DIR:-target}"
SERVER="$TARGET/debug/hcp-server"
venv="${HCP_SCHEMATHESIS_VENV:-$HOME/.cache/haochaping/st-venv}"
if [ ! -x "$venv/bin/st" ]; then
  echo "schemathesis: installing it from PyPI into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4.3,<5'
fi
# Both forms check that schema-violating requests are refused (`negative_data_rejection`): the server
# reads every body strictly (an array is never taken for an object; see src/strict_json.rs).
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection
case "$mode" in
  short) examples=15; budget=150 ;;
  long) examples=400; budget=1800 ;;
  *) echo "usage: $0 short|long" >&2; exit 2 ;;
esac

dir=$(mktemp -d /tmp/hcp-st.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
"$SERVER" seed --database "sqlite://$dir/server.db" --profile demo --evaluations 400 >/dev/null
# Plenty of sign-in attempts: schemathesis posts many wrong ones, and this run is not about throttling.
cat >"$dir/config.toml" <<TOML
login_max_failures = 1000000
login_max_failures_per_ip = 1000000
TOML
HCP_LOG=warn "$SERVER" serve --config "$dir/config.toml" --database "sqlite://$dir/server.db" --listen "127.0.0.1:$port" \
  2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

token() {
  curl -fsS -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"Hcp@2026\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

status=0
for user in donghu.manager admin; do
  echo "schemathesis ($mode) as $user against $base/api/openapi.json" >&2
  # Signing out or changing the password would end the session the run is authenticated with.
  "$venv/bin/st" run "$base/api/openapi.json" \
    -H "Authorization: Bearer $(token "$user")" \
    --checks "$checks" \
    --exclude-path /api/v1/auth/logout --exclude-path /api/v1/auth/password \
    --max-examples "$examples" --max-time "$budget" --seed 20261206 --workers 1 \
    --request-timeout 10 --suppress-health-check all --no-color \
    || status=$?
done
if grep -q "panicked" "$dir/server.log"; then
  echo "schemathesis: the server panicked:" >&2
  grep -A5 panicked "$dir/server.log" >&2
  status=1
fi
exit $status
