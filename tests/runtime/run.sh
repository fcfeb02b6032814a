#!/usr/bin/env bash
# `npm run test:runtime`: prepares the lane (prepare.sh), runs its jest files (tests/runtime/*.lane.ts), and
# prints the figures and one summary line: "runtime lane: N cases passed on node vX and vY".
# RUNTIME_LANE_JSON=<file> also keeps jest's JSON report there (.ci/run adds it to CI's totals).
set -uo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
bash tests/runtime/prepare.sh || {
  echo "runtime lane: FAILED: its preparation did not complete (see above) ($((SECONDS - started)) s)"
  exit 1
}
report=${RUNTIME_LANE_JSON:-.tmp/runtime-lane/jest.json}
rm -f "$report" .tmp/runtime-lane/figures-*.json
npx jest --config tests/runtime/jest.config.js --json --outputFile="$report" "$@"
code=$?
node - "$report" "$((SECONDS - started))" <<'JS'
const fs = require('fs');
const [report, seconds] = process.argv.slice(2);
const versions = fs.readFileSync('.tmp/runtime-lane/nodes.txt', 'utf8').split('\n').filter(Boolean)
  .map((p) => require('child_process').execFileSync(p, ['--version'], { encoding: 'utf8' }).trim());
for (const f of fs.readdirSync('.tmp/runtime-lane').filter((f) => /^figures-.*\.json$/.test(f)).sort())
  console.log(`${f.slice(8, -5)}: ${JSON.stringify(JSON.parse(fs.readFileSync(`.tmp/runtime-lane/${f}`, 'utf8')))}`);
if (!fs.existsSync(report)) {
  console.log(`runtime lane: FAILED before any case ran (${seconds} s)`);
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(report, 'utf8'));
const failed = r.numFailedTests + r.numRuntimeErrorTestSuites + (r.numTotalTests === 0 ? 1 : 0);
console.log(failed > 0
  ? `runtime lane: ${failed} FAILED, ${r.numPassedTests} passed on node ${versions.join(' and ')} (${seconds} s; runtime logs in .tmp/runtime-lane/runtime-*.log)`
  : `runtime lane: ${r.numPassedTests} cases passed on node ${versions.join(' and ')} (${seconds} s)`);
JS
[ $code -eq 0 ] && exit 0 || exit 1
