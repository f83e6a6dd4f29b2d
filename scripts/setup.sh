#!/usr/bin/env bash
# Idempotent bootstrap: npm dependencies, a WebGPU adapter for Node (Mesa lavapipe when there is no GPU),
# Debian's chromium for the browser tests and Debian's dataset-fashion-mnist. Quiet when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# --- npm dependencies: install when node_modules is missing or older than the lockfile/package.json.
stamp=node_modules/.setup-stamp
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
  log "installing npm dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error >&2; else npm install --no-audit --no-fund --loglevel=error >&2; fi
  touch "$stamp"
fi

is_root() { [ "$(id -u)" = 0 ]; }
is_debian_like() { [ -f /etc/debian_version ]; }
apt_updated=0
apt_update() { [ $apt_updated = 1 ] || { apt-get update -qq >&2; apt_updated=1; }; }

manual_steps() {
  cat >&2 <<'MSG'
setup: no WebGPU adapter is available to Node, and this script can only install one as root on Debian/Ubuntu.
  Install a Vulkan driver yourself, then re-run `bash scripts/setup.sh`:
  - with a GPU: your vendor's Vulkan driver (e.g. `mesa-vulkan-drivers`, or NVIDIA's driver);
  - without one: Mesa's lavapipe >= 23 (`mesa-vulkan-drivers`; on Debian 12 from bookworm-backports:
      echo 'deb <your Debian mirror> bookworm-backports main' > /etc/apt/sources.list.d/backports.list
      apt-get update && apt-get install -t bookworm-backports mesa-vulkan-drivers).
MSG
}

# --- WebGPU adapter for Node.
if ! node scripts/probe-adapter.mjs >/dev/null 2>&1; then
  if ! is_root || ! is_debian_like; then manual_steps; exit 1; fi
  codename=$(. /etc/os-release; echo "${VERSION_CODENAME:-}")
  if [ "$codename" = bookworm ]; then
    # Debian 12's Mesa 22.3 lavapipe is rejected by Dawn; backports carries a recent Mesa.
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      mirror=$(grep -hoE '^URIs:\s*\S+' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1 | awk '{print $2}')
      [ -n "$mirror" ] || mirror=$(grep -hoE '^deb\s+\S+' /etc/apt/sources.list 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')
      [ -n "$mirror" ] || { log "cannot find the Debian mirror URI in /etc/apt sources"; manual_steps; exit 1; }
      log "adding bookworm-backports from $mirror"
      echo "deb $mirror bookworm-backports main" > /etc/apt/sources.list.d/rejuv-backports.list
    fi
    apt_update
    log "installing mesa-vulkan-drivers from bookworm-backports"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >&2
  else
    apt_update
    log "installing mesa-vulkan-drivers"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mesa-vulkan-drivers >&2
  fi
  if ! node scripts/probe-adapter.mjs >&2; then
    log "still no WebGPU adapter after installing Mesa lavapipe"; manual_steps; exit 1
  fi
fi

# --- Chromium for the browser tests (Debian's package; never a downloaded browser).
if [ "${REJUV_SKIP_BROWSER:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if is_root && is_debian_like; then
    apt_update
    log "installing chromium (browser tests)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    log "chromium is missing; the browser tests will fail until Debian's 'chromium' package is installed"
  fi
fi
# --- Fashion-MNIST for `--dataset fashion-mnist` and test/data.test.ts (Debian's package, MIT licensed;
# the loader's default directory). Where it cannot be installed, that test is skipped and says how.
FASHION_DIR=/usr/share/datasets/fashion-mnist
if [ "${REJUV_SKIP_FASHION:-0}" != 1 ] && [ ! -f "$FASHION_DIR/train-images-idx3-ubyte.gz" ]; then
  if is_root && is_debian_like; then
    apt_update
    log "installing dataset-fashion-mnist (Fashion-MNIST IDX files in $FASHION_DIR)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >&2 \
      || log "could not install Debian's 'dataset-fashion-mnist'; the Fashion-MNIST test will be skipped"
  else
    log "Fashion-MNIST is missing ($FASHION_DIR); the test that needs it is skipped until Debian's 'dataset-fashion-mnist' is installed (apt-get install dataset-fashion-mnist, as root), or pass --data-dir to a directory of its IDX files"
  fi
fi
# --- Debian's PyTorch, for the PyTorch peer of `npm run bench -- train-step` (bench/torch_step.py), the
# twin's mechanics test (test/torch-twin.test.ts) and scripts/torch_twin.py. Everything that needs it
# skips with a message where it is missing, so a failed install is not fatal.
if [ "${REJUV_SKIP_TORCH:-0}" != 1 ] && ! { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; }; then
  if is_root && is_debian_like; then
    apt_update
    log "installing python3-torch (PyTorch peer of the benchmarks, the twin's test)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >&2 \
      || log "could not install Debian's 'python3-torch'; the PyTorch peer and the twin's test will be skipped"
  else
    log "Debian's python3-torch is missing: the PyTorch peer of the benchmarks and the twin's mechanics test are skipped (apt-get install python3-torch, as root)"
  fi
fi
exit 0
