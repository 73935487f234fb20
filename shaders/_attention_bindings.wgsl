// Included by every attention kernel (`// #include "_attention_bindings.wgsl"`): the Params they share, the
// Step uniform, and the forward's q (inside the fused qkv rows), K and V caches [S, nKVHeads, headDim].
struct Params { headDim: u32, nHeads: u32, nKVHeads: u32, ldQKV: u32, scale: f32, _a: u32, _b: u32, _c: u32 }
struct Step { T: u32, pos0: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kCache: array<f32>;
@group(0) @binding(4) var<storage, read> vCache: array<f32>;
