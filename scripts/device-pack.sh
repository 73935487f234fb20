#!/usr/bin/env bash
# scripts/device-pack.sh: packs what a Node run of ours needs on a bare Linux x86-64 GPU machine that has no
# Node, no npm registry and no Vulkan loader (this workplace's lent H100/H200) into .device/ (git-ignored):
#   .device/node.xz                     this machine's Node binary, compressed
#   .device/node_modules/webgpu/        the `webgpu` package with its linux-x64 dawn.node (compressed)
#   .device/bin/{cli,train-defaults,bench,bench-kernels,bench-variants}.mjs   esbuild bundles, those named as arguments (they find shaders/
#                                       at ../../shaders)
#   .device/node_modules/onnxruntime-node/  a stub (see below)
#   .device/gl/*.deb                    the Vulkan/EGL loaders, unpacked there with dpkg -x
# .device/setup.sh, run there first, unpacks all this; after it `.device/run bin/cli.mjs …` runs like `npm run cli`.
# Condition embeddings travel as a file (`npm run cli -- experiment … --embeddings F --embed-only` here), since
# the encoder's model files would not fit in the 64 MiB that a run may carry.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.device
mkdir -p $out/bin $out/gl $out/node_modules/webgpu/dist/linux-x64
[ -f $out/node.xz ] || xz -T2 -6 -c "$(command -v node)" >$out/node.xz
cp node_modules/webgpu/index.js node_modules/webgpu/package.json $out/node_modules/webgpu/
[ -f $out/node_modules/webgpu/dist/linux-x64/dawn.node.xz ] || xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz
# transformers.js requires onnxruntime-node (native, ~200 MB) at load time for its ONNX models; our device runs
# read condition embeddings from a file and never start a session, so a stub that says so stands in
mkdir -p $out/node_modules/onnxruntime-node
echo '{"name":"onnxruntime-node","version":"0.0.0-device-stub","main":"index.js"}' >$out/node_modules/onnxruntime-node/package.json
cat >$out/node_modules/onnxruntime-node/index.js <<'JS'
class InferenceSession {
  static async create() {
    throw new Error('onnxruntime-node is not in the device pack: pass --embeddings FILE holding every profile');
  }
}
module.exports = { InferenceSession, env: {} };
JS
banner="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
# which bundles: the arguments (default: cli train-defaults); each is ~5 MB of the 64 MiB a run may carry
declare -A entries=([cli]=src/cli/main.ts [train-defaults]=scripts/train-defaults.ts [bench]=bench/bench.ts [bench-kernels]=bench/kernels.ts [bench-variants]=bench/variants.ts)
rm -f $out/bin/*.mjs
for name in ${@:-cli train-defaults}; do
  [ -n "${entries[$name]:-}" ] || { echo "device-pack: no bundle named $name (cli, train-defaults, bench, bench-kernels, bench-variants)" >&2; exit 1; }
  npx esbuild "${entries[$name]}" --bundle --platform=node --format=esm --target=node20 --external:webgpu --alias:sharp=./scripts/device-stubs/sharp.mjs \
    --banner:js="$banner" --minify-whitespace --minify-syntax --log-level=error --outfile=$out/bin/$name.mjs
done
if ! ls $out/gl/libvulkan1_*.deb >/dev/null 2>&1; then
  lists=$(mktemp -d)
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
  mkdir -p "$lists/partial"
  apt-get $o update >/dev/null
  (cd $out/gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
fi
cat >$out/setup.sh <<'SH'
#!/usr/bin/env bash
# Run on the GPU machine from the repository root: unpacks Node, dawn.node and the loaders.
set -euo pipefail
d=$(cd "$(dirname "$0")" && pwd)
for f in "$d"/gl/*.deb; do dpkg -x "$f" /; done
ldconfig
[ -x /tmp/node ] || xz -dc "$d/node.xz" >/tmp/node && chmod +x /tmp/node
x="$d/node_modules/webgpu/dist/linux-x64"
[ -f "$x/dawn.node" ] || xz -dc "$x/dawn.node.xz" >"$x/dawn.node"
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  echo "export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json" >"$d/env"
else
  : >"$d/env"
fi
SH
cat >$out/run <<'SH'
#!/usr/bin/env bash
# .device/run bin/cli.mjs ARGS: runs a bundle with the unpacked Node (after setup.sh).
d=$(cd "$(dirname "$0")" && pwd)
. "$d/env"
f=$1; shift
exec /tmp/node "$d/$f" "$@"
SH
chmod +x $out/setup.sh $out/run
du -sh $out
