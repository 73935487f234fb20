// Stands in for `sharp` (native, per-platform) in the device bundles: transformers.js imports it at load time
// for images, which our runs never read.
export default function sharp() {
  throw new Error('sharp is not in the device bundle: images cannot be read there');
}
