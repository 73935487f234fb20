// The Step uniform every per-token kernel reads at binding 1: this forward's token count T and the position
// of its first token in the KV cache (src/gpu/kernels.ts stepBuffer/writeStep).
struct Step { T: u32, pos0: u32, _a: u32, _b: u32 }
@group(0) @binding(1) var<uniform> step: Step;
