// The linear kernels' Params at binding 0 (matmul, matvec and their _t, _vec4 and coalesced forms; src/gpu/params.ts
// LINEAR): y[t, nOff + n] (+ y if accumulate) = W[n]·x[t] (+ bias[n] if hasBias), rows of y ldY apart.
struct Params { N: u32, K: u32, ldY: u32, nOff: u32, hasBias: u32, accumulate: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
