#!/usr/bin/env bash
# Prepares the runtime lane: the bundle (npm run build), Node 22 (tests/runtime/node22, installed under
# .tmp/), and the native client of aws-lambda-ric, built with the package's own install scripts.
# The native build takes minutes, so it is cached twice: under .tmp/runtime-lane/ (this checkout) and in a
# machine-wide directory (SEMAIA_CACHE_DIR, default /var/tmp/semaia-cache) that outlives clean clones.
# Nothing here is ever skipped quietly: when a step cannot run, it says why and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/../.."

LANE=.tmp/runtime-lane
RIC=node_modules/aws-lambda-ric
fail() {
  printf '\n!!! runtime lane: %s\n' "$*" >&2
  exit 1
}
elapsed() { echo "$((SECONDS - $1)) s"; }

[ -f "$RIC/package.json" ] || fail "$RIC is missing: run npm ci first"
mkdir -p "$LANE"

# ---- the bundle
t=$SECONDS
npm run --silent build >"$LANE/build.log" 2>&1 || {
  cat "$LANE/build.log" >&2
  fail "npm run build failed"
}
echo "bundle: dist/api built ($(elapsed $t))"

# ---- Node 22 (its own package: a root dependency would put node_modules/.bin/node first on every npm script's PATH)
t=$SECONDS
NODE22_DIR="$LANE/node22"
if ! cmp -s tests/runtime/node22/package-lock.json "$NODE22_DIR/package-lock.json" || [ ! -x "$NODE22_DIR/node_modules/.bin/node" ]; then
  rm -rf "$NODE22_DIR" && mkdir -p "$NODE22_DIR"
  cp tests/runtime/node22/package.json tests/runtime/node22/package-lock.json "$NODE22_DIR/"
  npm ci --prefix "$NODE22_DIR" --no-audit --no-fund --loglevel=error >/dev/null ||
    fail "could not install Node 22 (npm ci in $NODE22_DIR)"
fi
NODE22="$NODE22_DIR/node_modules/.bin/node"
case "$("$NODE22" --version 2>/dev/null)" in
v22.*) echo "node 22: $("$NODE22" --version) ($(elapsed $t))" ;;
*) fail "$NODE22 does not run as Node 22" ;;
esac

# ---- the native client (rapid-client.node)
# N-API: one build serves Node 20 and 22 (checked below); the key names the Node whose headers built it.
ric_version=$(node -p 'require("./node_modules/aws-lambda-ric/package.json").version')
key="aws-lambda-ric-${ric_version}-node$(node -p 'process.versions.node.split(".")[0]')-$(node -p process.arch)"
local_cache="$LANE/$key"
machine_cache="${SEMAIA_CACHE_DIR:-/var/tmp/semaia-cache}/$key"
store() { # atomically, so a concurrent run never sees half a file
  mkdir -p "$2" && cp "$1" "$2/rapid-client.node.$$" && mv -f "$2/rapid-client.node.$$" "$2/rapid-client.node"
}

t=$SECONDS
if [ -f "$local_cache/rapid-client.node" ]; then
  source="the checkout's cache ($local_cache)"
elif [ -f "$machine_cache/rapid-client.node" ]; then
  store "$machine_cache/rapid-client.node" "$local_cache"
  source="the machine's cache ($machine_cache)"
else
  missing=""
  for tool in autoreconf automake libtoolize cmake g++ make; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
  done
  [ -z "$missing" ] || fail "cannot build aws-lambda-ric's native client: missing$missing
    (Debian: apt-get install autoconf automake libtool cmake g++; .ci/run installs them)"
  # node-gyp must not download headers (no internet): use the running Node's own headers when it has them.
  node_prefix=$(dirname "$(dirname "$(command -v node)")")
  if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node_api.h" ]; then
    export npm_config_nodedir="$node_prefix"
  fi
  echo "building aws-lambda-ric ${ric_version}'s native client (cold: several minutes; log in $LANE/native-build.log)"
  (cd "$RIC" && sh scripts/preinstall.sh && sh scripts/postinstall.sh) >"$LANE/native-build.log" 2>&1 || {
    tail -n 40 "$LANE/native-build.log" >&2
    fail "aws-lambda-ric's native build failed (full log: $LANE/native-build.log)"
  }
  store "$RIC/rapid-client.node" "$local_cache"
  if ! store "$RIC/rapid-client.node" "$machine_cache" 2>/dev/null; then
    echo "warning: could not write the machine cache $machine_cache (the next clean clone rebuilds)" >&2
  fi
  source="a fresh build"
fi
cp "$local_cache/rapid-client.node" "$RIC/rapid-client.node"
for n in node "$NODE22"; do
  AWS_LAMBDA_RUNTIME_API=127.0.0.1:9 "$n" -e 'require("./node_modules/aws-lambda-ric/rapid-client.node")' ||
    fail "the native client does not load on $("$n" --version)"
done
echo "native client: $key from $source ($(elapsed $t))"

# For the lane's tests: which Node binaries to run the runtime on.
printf '%s\n%s\n' "$(command -v node)" "$(cd "$(dirname "$NODE22")" && pwd)/node" >"$LANE/nodes.txt"
