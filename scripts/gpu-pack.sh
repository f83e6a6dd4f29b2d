#!/usr/bin/env bash
# Build a self-contained folder that runs rejuv's GPU checks on a machine with no Node.js, no network
# and little room: `bash scripts/gpu-pack.sh [DIR]` (default gpu-pack/, git-ignored).
#
# DIR/gpu-check.sh          the runner (scripts/gpu-check.sh): `bash DIR/gpu-check.sh OUTDIR [--quick]`
# DIR/payload.tar.xz        extracted by gpu-check.sh into a temporary folder:
#   bin/node                  this machine's `node` binary
#   app/bench.js              dist/node/bench.js (the bench suites), with its source map
#   app/checks.js             web/checks/node-main.ts bundled: the op checks, WebGPU vs reference backend
#   app/node_modules/         webgpu (index.js + dawn.node for linux-x64), tfjs peers and their few deps
#   app/gpu-torch-peer.py     the PyTorch CUDA peer (+ torch_models.py); runs where python3 has torch
#   run/                      the bench's working directory, with bench/torch_step.py for train-step
#   lib/vulkan/libvulkan.so.1 Debian's Vulkan loader, used where the machine has none
#   lib/glvnd/libGLdispatch.so.0  what NVIDIA's Vulkan ICD links against, likewise
# DIR/MANIFEST.txt          what went in, sizes, commit
# Fails when DIR is over 60 MiB. Needs: node, esbuild (devDependency), xz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/gpu-pack}
limit=$((60 * 1024 * 1024))
cd "$root"

node scripts/build.mjs # no-op when dist/ is fresh
stage=$(mktemp -d "${TMPDIR:-/tmp}/rejuv-gpu-pack.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/app/node_modules" "$stage/lib/vulkan" "$stage/lib/glvnd"

# Node itself (a dynamically linked binary needing only glibc and libstdc++).
node_bin=$(readlink -f "$(command -v node)")
cp "$node_bin" "$stage/bin/node"

# The bundles. bench.js keeps packages external (resolved from app/node_modules); checks.js bundles
# everything but webgpu (fast-check included).
cp dist/node/bench.js dist/node/bench.js.map "$stage/app/"
node_modules/.bin/esbuild web/checks/node-main.ts --bundle --format=esm --platform=node --target=es2022 \
  --loader:.wgsl=text --external:webgpu --sourcemap --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --outfile="$stage/app/checks.js"
echo '{ "type": "module", "private": true }' >"$stage/app/package.json"
cp scripts/gpu-torch-peer.py scripts/torch_models.py "$stage/app/"
# run/: the bench's working directory (it writes bench/results/ there); train-step's PyTorch CPU peer
# looks for bench/torch_step.py (and ../scripts/torch_models.py) under it.
mkdir -p "$stage/run/bench" "$stage/run/scripts"
if [ -f bench/torch_step.py ]; then cp bench/torch_step.py "$stage/run/bench/"; fi
cp scripts/torch_models.py "$stage/run/scripts/"

# node_modules: only the files Node loads. webgpu: its ESM index and the linux-x64 addon.
nm=$stage/app/node_modules
mkdir -p "$nm/webgpu/dist/linux-x64"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json node_modules/webgpu/LICENSE.md "$nm/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$nm/webgpu/dist/linux-x64/"
# bench.js imports `long` statically (tfjs-core's gradient registry is bundled); the tfjs peers load
# their Node builds (package.json "main") and these dependencies.
for p in long seedrandom node-fetch whatwg-url tr46 webidl-conversions; do
  cp -r "node_modules/$p" "$nm/$p"
done
for p in tfjs-core tfjs-backend-cpu tfjs-backend-webgpu tfjs-backend-wasm; do
  src=node_modules/@tensorflow/$p
  main=$(node -p "require('./$src/package.json').main")
  mkdir -p "$nm/@tensorflow/$p/$(dirname "$main")"
  cp "$src/package.json" "$nm/@tensorflow/$p/"
  cp "$src/$main" "$nm/@tensorflow/$p/$main"
done
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$nm/@tensorflow/tfjs-backend-wasm/dist/"

# Debian's Vulkan loader and libglvnd's dispatch library (fallbacks; gpu-check.sh prefers the machine's).
lib=$(dirname "$(readlink -f "$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ { print $NF; exit }')")")
cp -L "$lib/libvulkan.so.1" "$stage/lib/vulkan/libvulkan.so.1"
if [ -e "$lib/libGLdispatch.so.0" ]; then cp -L "$lib/libGLdispatch.so.0" "$stage/lib/glvnd/"; fi

rm -rf "$dest"
mkdir -p "$dest"
echo "gpu-pack: compressing $(du -sh "$stage" | cut -f1) with xz -9 ..."
tar -C "$stage" -cf - . | xz -9 -T1 >"$dest/payload.tar.xz"
cp scripts/gpu-check.sh "$dest/gpu-check.sh"
chmod +x "$dest/gpu-check.sh"
{
  echo "rejuv GPU pack: bash gpu-check.sh OUTDIR [--quick] [--no-peers] (see the header of gpu-check.sh)"
  echo "built $(date -u +%FT%TZ) from commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src shaders bench web || echo ' (with local changes)')"
  echo "node $(node -v) ($node_bin); webgpu $(node -p "require('./node_modules/webgpu/package.json').version"); vulkan loader $(readlink -f "$lib/libvulkan.so.1" | sed 's/.*\.so\.//')"
  echo "bench suites: $(grep -o 'name: "[a-z0-9-]*", load' dist/node/bench.js | cut -d'"' -f2 | tr '\n' ' ')"
  echo
  (cd "$stage" && find . -type f -printf '%s\t%p\n' | sort -k2)
} >"$dest/MANIFEST.txt"

size=$(du -sb "$dest" | cut -f1)
raw=$(du -sb "$stage" | cut -f1)
awk -v d="$dest" -v s="$size" -v r="$raw" 'BEGIN { printf "gpu-pack: %s: %.1f MiB (limit 60 MiB; payload %.1f MiB uncompressed)\n", d, s / 1048576, r / 1048576 }'
if [ "$size" -gt "$limit" ]; then echo "gpu-pack: over the 60 MiB limit" >&2; exit 1; fi
