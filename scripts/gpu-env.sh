#!/usr/bin/env bash
# scripts/gpu-env.sh CMD [ARGS...]: runs CMD with the Vulkan driver for Dawn (WebGPU in Node) in its environment.
#   ATLAS_VULKAN=lavapipe     Mesa lavapipe from .cache/lavapipe (fetched by scripts/lavapipe.sh if missing; fails if it cannot be)
#   ATLAS_VULKAN=swiftshader  SwiftShader from Debian's chromium
#   unset                     VK_ICD_FILENAMES if already set; else lavapipe if scripts/lavapipe.sh has set it up; else SwiftShader
# Lavapipe also needs LD_LIBRARY_PATH (the newer libdrm Debian's package asks for), which must be set before
# Node starts: that is why npm run cli / bench go through this script. src/gpu/node.ts makes the same choice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
swiftshader=/usr/lib/chromium/vk_swiftshader_icd.json
lavapipe() { local env; env=$(bash "$here/lavapipe.sh" "$@") || return 1; eval "$env"; }
case ${ATLAS_VULKAN:-} in
  lavapipe) lavapipe || { echo "gpu-env: ATLAS_VULKAN=lavapipe but lavapipe cannot be set up (see above)" >&2; exit 1; } ;;
  swiftshader) export VK_ICD_FILENAMES=$swiftshader ;;
  '') if [ -z "${VK_ICD_FILENAMES:-}" ] && bash "$here/lavapipe.sh" --check; then lavapipe; fi ;;
  *) echo "gpu-env: ATLAS_VULKAN must be lavapipe or swiftshader, not '$ATLAS_VULKAN'" >&2; exit 1 ;;
esac
exec "$@"
