#!/usr/bin/env bash
# rejuv on a real GPU, from the folder scripts/gpu-pack.sh builds (no Node.js, no network needed):
#
#   bash gpu-check.sh OUTDIR [--quick] [--no-peers] [--steps a,b,...] [--timeout-scale X] [--keep]
#
# Extracts payload.tar.xz (node, dawn.node, the bundles) into a temporary folder, then runs, each under
# its own timeout and all within a 6-minute budget (both times --timeout-scale):
#   adapter     the WebGPU adapter dawn.node picks (vendor, architecture, features, limits)
#   checks      every op check of web/checks (WebGPU vs the reference backend)   → OUTDIR/checks.json
#   matmul      bench suite                                                       → OUTDIR/matmul.json
#   conv        bench suite                                                       → OUTDIR/conv.json
#   train-step  bench suite, where the packed bench has it (skipped otherwise)    → OUTDIR/train-step.json
#   torch       PyTorch CUDA peer, where python3 has torch and a GPU              → OUTDIR/torch-cuda.json
# and writes OUTDIR/summary.json (adapter, each step's status and seconds) and OUTDIR/gpu-check.log.
# --quick and --no-peers go to the bench (and --quick to the peer); --steps picks steps by name.
# Exit status: 0 when every step passed or was skipped (a step exiting 75 counts as skipped), 1 otherwise.
# Vulkan: uses the machine's loader (libvulkan.so.1) and ICDs; the packed Debian loader where the
# machine has none (or GPU_CHECK_VULKAN_LOADER=pack), NVIDIA's ICD under /usr/local/nvidia when the
# standard ICD folders lack one. Needs bash, coreutils (timeout, mktemp) and tar + xz or python3.
set -u -o pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
out="" quick="" nopeers="" steps="adapter,checks,matmul,conv,train-step,torch" scale=1 keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=--quick ;;
    --no-peers) nopeers=--no-peers ;;
    --steps) steps=$2; shift ;;
    --timeout-scale) scale=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage ;;
    -*) echo "gpu-check: unknown option $1" >&2; usage ;;
    *) [ -z "$out" ] || usage; out=$1 ;;
  esac
  shift
done
[ -n "$out" ] || usage
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 2
exec > >(tee "$out/gpu-check.log") 2>&1
tee_pid=$!

t_start=$(date +%s)
budget=$(awk -v s="$scale" 'BEGIN { printf "%d", 360 * s }')
elapsed() { echo $(($(date +%s) - t_start)); }
echo "gpu-check: $(date -u +%FT%TZ) on $(uname -n) ($(uname -sm)); budget ${budget} s; output in $out"
[ -f "$here/MANIFEST.txt" ] && sed -n '2,4p' "$here/MANIFEST.txt" | sed 's/^/  pack: /'
command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | sed 's/^/  nvidia-smi: /'

# --- the payload ---------------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rejuv-gpu.XXXXXX") || exit 1
if [ -n "$keep" ]; then echo "gpu-check: keeping $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
if command -v xz >/dev/null && command -v tar >/dev/null; then
  tar -C "$tmp" -xJf "$here/payload.tar.xz" || exit 1
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$here/payload.tar.xz" "$tmp" || exit 1
else
  echo "gpu-check: need tar + xz, or python3, to unpack payload.tar.xz" >&2; exit 1
fi
node=$tmp/bin/node
app=$tmp/app
echo "gpu-check: unpacked in $(elapsed) s: node $("$node" -v) at $node"

# --- Vulkan: loader and driver -------------------------------------------------------------------
has_lib() { # is $1 findable by the dynamic linker without our help?
  local l
  for l in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
    if command -v "$l" >/dev/null 2>&1; then "$l" -p 2>/dev/null | grep -q "[[:space:]]$1 (.*x86-64" && return 0; break; fi
  done
  for l in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64; do [ -e "$l/$1" ] && return 0; done
  return 1
}
libpath=""
case "${GPU_CHECK_VULKAN_LOADER:-auto}" in
  pack) libpath=$tmp/lib/vulkan ;;
  system) ;;
  *) has_lib libvulkan.so.1 || libpath=$tmp/lib/vulkan ;;
esac
if [ -n "$libpath" ]; then echo "gpu-check: Vulkan loader: the packed one (Debian's), $libpath"; else echo "gpu-check: Vulkan loader: the machine's"; fi
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
  icds=$(ls /usr/local/nvidia/share/vulkan/icd.d/*.json /usr/local/nvidia/etc/vulkan/icd.d/*.json 2>/dev/null | paste -sd:)
  if [ -n "$icds" ]; then
    export VK_DRIVER_FILES=$icds VK_ICD_FILENAMES=$icds
    echo "gpu-check: Vulkan ICD: $icds"
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libpath=$libpath${libpath:+:}$d; done
  fi
fi
if ! has_lib libGLdispatch.so.0 && ! ls /usr/local/nvidia/lib*/libGLdispatch.so.0 >/dev/null 2>&1; then
  libpath=$libpath${libpath:+:}$tmp/lib/glvnd
fi
[ -n "$libpath" ] && export LD_LIBRARY_PATH=$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$tmp}

# --- steps ---------------------------------------------------------------------------------------
work=$tmp/run # the bench writes bench/results/<suite>.json under its working directory (packed: run/)
mkdir -p "$work"
records=()
failed=0
# step NAME SECONDS CMD...: run CMD under a timeout of SECONDS × scale, capped by what is left of the budget.
step() {
  local name=$1 secs=$2; shift 2
  if [[ ",$steps," != *",$name,"* ]]; then return 0; fi
  local left=$((budget - $(elapsed))) limit
  limit=$(awk -v s="$secs" -v k="$scale" -v l="$left" 'BEGIN { t = int(s * k); print (t < l ? t : l) }')
  echo
  echo "=== $name (limit ${limit} s; $(elapsed) s so far) ==="
  if [ "$limit" -lt 5 ]; then
    echo "gpu-check: $name skipped: the ${budget} s budget is spent"
    records+=("$name|skipped|0|the budget was spent"); failed=1; return 0
  fi
  local t0 rc status
  t0=$(date +%s)
  (cd "$work" && timeout -k 10 "$limit" "$@")
  rc=$?
  case $rc in 0) status=ok ;; 75) status=skipped ;; 124|137) status=timeout ;; *) status=fail ;; esac
  [ $rc = 0 ] || [ $rc = 75 ] || failed=1
  echo "--- $name: $status (exit $rc) in $(($(date +%s) - t0)) s"
  records+=("$name|$status|$(($(date +%s) - t0))|exit $rc")
}
skip() { echo; echo "=== $1: skipped ($2) ==="; records+=("$1|skipped|0|$2"); }
bench() { # bench SUITE SECONDS: the packed bench, its JSON moved to OUTDIR
  step "$1" "$2" "$node" --enable-source-maps "$app/bench.js" "$1" $quick $nopeers
  if [ -f "$work/bench/results/$1.json" ]; then mv "$work/bench/results/$1.json" "$out/$1.json" && echo "  → $out/$1.json"; fi
}

cat >"$app/adapter.mjs" <<'EOF'
import { create, globals } from 'webgpu';
import { writeFileSync } from 'node:fs';
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) { console.error('adapter: requestAdapter() returned null (no Vulkan driver Dawn accepts)'); process.exit(1); }
const info = adapter.info ?? {};
const limits = {};
for (const k in adapter.limits) limits[k] = adapter.limits[k];
const record = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
  subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize, features: [...adapter.features].sort(), limits };
console.log(`adapter: ${info.vendor} / ${info.architecture} / ${info.description}; subgroups ${info.subgroupMinSize}-${info.subgroupMaxSize}`);
console.log(`  features: ${record.features.join(' ')}`);
console.log(`  maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}, maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}, maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize}`);
writeFileSync(process.argv[2], JSON.stringify(record, null, 2));
process.exit(0);
EOF

step adapter 15 "$node" "$app/adapter.mjs" "$tmp/adapter.json"
if [ ! -s "$tmp/adapter.json" ] && [[ ",$steps," == *",adapter,"* ]]; then
  echo "gpu-check: no adapter; the Vulkan loader's view follows (VK_LOADER_DEBUG=error,warn,driver)"
  (cd "$app" && VK_LOADER_DEBUG=error,warn,driver timeout 20 "$node" adapter.mjs /dev/null 2>&1 | head -60)
fi
step checks 60 "$node" --enable-source-maps "$app/checks.js" --json "$out/checks.json"
bench matmul 50
bench conv 90
suites=$("$node" "$app/bench.js" __list__ 2>&1 | sed -n 's/.*available: //p')
if [[ ", $suites," == *", train-step,"* ]]; then
  bench train-step 90
elif [[ ",$steps," == *",train-step,"* ]]; then
  skip train-step "the packed bench has no train-step suite (it has: $suites)"
fi
if [[ ",$steps," == *",torch,"* ]]; then
  if command -v python3 >/dev/null; then
    step torch 45 python3 "$app/gpu-torch-peer.py" "$out" --device cuda $quick
  else
    skip torch "no python3 on PATH"
  fi
fi

# --- summary -------------------------------------------------------------------------------------
total=$(elapsed)
echo
echo "=== gpu-check summary ($total s of ${budget} s) ==="
printf '%s\n' "${records[@]}" | awk -F'|' '{ printf "  %-11s %-8s %5s s  %s\n", $1, $2, $3, $4 }'
"$node" -e '
const fs = require("node:fs");
const [out, adapterFile, total, budget, ...recs] = process.argv.slice(1);
let adapter = null;
try { adapter = JSON.parse(fs.readFileSync(adapterFile, "utf8")); } catch {}
const steps = recs.map((r) => { const [name, status, seconds, detail] = r.split("|"); return { name, status, seconds: +seconds, detail }; });
fs.writeFileSync(`${out}/summary.json`, JSON.stringify({ date: new Date().toISOString(), seconds: +total, budget: +budget, adapter, steps }, null, 2) + "\n");
' "$out" "$tmp/adapter.json" "$total" "$budget" "${records[@]}"
echo "  → $out/summary.json"
exec >&- 2>&-
wait "$tee_pid" 2>/dev/null
exit $failed
