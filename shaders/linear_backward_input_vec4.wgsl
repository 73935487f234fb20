// linear_backward_input.wgsl with W read as vec4 along K (needs K % 4 == 0, every real checkpoint):
//   dX[t, k] (+)= Σ_n dY[t, dyOff + n] · W[n, k]
// One vec4 load of W per n instead of four scalar loads; dX is written as vec4 too.
// Each step of the reduction takes 4 rows n..n+3, so a thread does 4 W loads + 16 dY loads per 64 FMAs.
struct Params { K: u32, N: u32, ldDY: u32, dyOff: u32, accumulate: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read_write> dX: array<vec4<f32>>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let K4 = p.K / 4u;
  let c = gid.x; // vec4 column: k = 4c .. 4c+3
  let t0 = gid.y * 4u;
  if (c >= K4 || t0 >= step.T) { return; }
  var acc: array<vec4<f32>, 4>; // acc[i]: token t0+i
  var tr: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) { tr[i] = min(t0 + i, step.T - 1u) * p.ldDY + p.dyOff; }
  let N4 = p.N & ~3u;
  var n = 0u;
  for (; n < N4; n += 4u) {
    let w0 = load_W(n * K4 + c); let w1 = load_W((n + 1u) * K4 + c); let w2 = load_W((n + 2u) * K4 + c); let w3 = load_W((n + 3u) * K4 + c);
    for (var i = 0u; i < 4u; i++) {
      let b = tr[i] + n;
      acc[i] += dY[b] * w0 + dY[b + 1u] * w1 + dY[b + 2u] * w2 + dY[b + 3u] * w3;
    }
  }
  for (; n < p.N; n++) {
    let w = load_W(n * K4 + c);
    for (var i = 0u; i < 4u; i++) { acc[i] += dY[tr[i] + n] * w; }
  }
  for (var i = 0u; i < 4u; i++) {
    let t = t0 + i;
    if (t >= step.T) { break; }
    let o = t * K4 + c;
    var v = acc[i];
    if (p.accumulate != 0u) { v += dX[o]; }
    dX[o] = v;
  }
}
