#!/usr/bin/env bash
# System packages the tests need: Debian's chromium (headless browser for e2e, and its SwiftShader
# Vulkan driver that Dawn uses for WebGPU in Node) and the Vulkan loader.
set -euo pipefail
have() { command -v chromium >/dev/null 2>&1 && [ -e /usr/lib/chromium/vk_swiftshader_icd.json ] && ldconfig -p | grep -q 'libvulkan.so.1'; }
if have; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  echo "installing chromium and libvulkan1 with apt-get (needed by the WebGPU and browser tests)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium libvulkan1 >/dev/null
  have || { echo "chromium/libvulkan1 installed but not usable"; exit 1; }
else
  echo "The tests need Debian packages that are missing. Install them, then run npm test again:"
  echo "  sudo apt-get install -y chromium libvulkan1"
  exit 1
fi
