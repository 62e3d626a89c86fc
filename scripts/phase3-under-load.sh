#!/usr/bin/env bash
# Evidence for the latency-verdict rules (README "Latency verdicts"): run the main job N times against
# the optimized reference API and N times against the naive one while `stress-ng --cpu 2` (two CPU hogs)
# runs beside it, and print each run's exit code and verdict counts, then the naive runs' query and cache
# failures. Expected: optimized exits 0 every time (latency passes, or is inconclusive naming the
# saturation), naive exits 1 every time, with its query and cache budgets failing and no latency PASS
# on a budget the naive code breaks. Installs stress-ng (Debian) when missing; stops it on every exit.
#   bash scripts/phase3-under-load.sh [N=10] [--quiet: no stress-ng]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
hog=yes
[[ "${2:-}" == "--quiet" ]] && hog=no
if [[ $hog == yes ]] && ! command -v stress-ng >/dev/null; then
  echo "installing stress-ng (Debian package)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >/dev/null
fi
out="$(mktemp -d /tmp/perfspec-phase3-under-load.XXXXXX)"
stress_pid=""
cleanup() { [[ -n "$stress_pid" ]] && kill "$stress_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
if [[ $hog == yes ]]; then
  setsid stress-ng --cpu 2 --quiet &
  stress_pid=$!
  sleep 2
fi
summarise() { # mode index exit-code report.json
  node -e '
    const [mode, i, code, file] = process.argv.slice(1);
    let line = `${mode} run ${i}: exit ${code}`;
    try {
      const report = require(file);
      const s = report.summary;
      line += `  verdicts ${s.verdicts}: ${s.passed} pass, ${s.failed} fail, ${s.inconclusive} inconclusive, ${s.warned} warn, ${s.errors} errors`;
      const verdicts = report.specs.flatMap((spec) => spec.checks.flatMap((check) => check.probes.flatMap((probe) => probe.verdicts.map((v) => ({ ...v, check: check.name })))));
      const latency = verdicts.filter((v) => /latency|hitLatency|load\.p\d/.test(v.metric));
      line += `  | latency ${latency.filter((v) => v.outcome === "pass").length} pass, ${latency.filter((v) => v.outcome === "fail").length} fail, ${latency.filter((v) => v.outcome === "inconclusive").length} inconclusive`;
      if (mode === "naive") {
        const named = verdicts.filter((v) => v.outcome === "fail" && /^(queries|cache)\./.test(v.metric)).map((v) => `${v.check}: ${v.metric} ${v.actual}`);
        line += `\n    query/cache failures: ${named.join("; ")}`;
      }
    } catch (error) { line += `  (no report: ${error.message})`; }
    console.log(line);
  ' "$@"
}
for i in $(seq 1 "$runs"); do
  for mode in optimized naive; do
    dir="$out/$mode-$i"
    if [[ $mode == naive ]]; then
      set +e; REF_API_MODE=naive PERFSPEC_BASE_URL=http://127.0.0.1:8001 node bin/perfspec.js run specs/phase3.yaml --out "$dir" --reporter json >"$dir.log" 2>&1; code=$?; set -e
    else
      set +e; node bin/perfspec.js run specs/phase3.yaml --out "$dir" --reporter json >"$dir.log" 2>&1; code=$?; set -e
    fi
    summarise "$mode" "$i" "$code" "$dir/perfspec-report.json"
  done
done
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg); logs and reports in $out"
