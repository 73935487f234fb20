// Key and value gradients of causal GQA attention, without atomics: one workgroup per (kv head, cache
// position j) owns dK[j, kvh] and dV[j, kvh] and loops over every (query token t, query head h) that
// reads them, i.e. t with pos0 + t ≥ j and the nHeads/nKVHeads query heads of the group:
//   P    = exp(scale·q_t,h·k_j − lse[t, h]),   dS = P · (dO_t,h·v_j − delta[t, h])
//   dK[j] = scale · Σ dS · q_t,h,               dV[j] = Σ P · dO_t,h
// Written (not added) for every cache position j < pos0 + T, cache layout [S, nKVHeads, D]; rows below
// pos0 are gradients for an earlier chunk's k, v. kv_append_backward moves rows pos0.. into dqkv.
// The grid's y extent is fixed at build time; workgroups stride over positions, so any pos0 is covered.
// #include "_attention_bindings.wgsl"
@group(0) @binding(5) var<storage, read> dO: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> dK: array<f32>;
@group(0) @binding(8) var<storage, read_write> dV: array<f32>;

const WG: u32 = 64u;
const CHUNK: u32 = 256u;
const MAXD: u32 = 256u;
const DPT: u32 = MAXD / WG;
var<workgroup> kj: array<f32, MAXD>;
var<workgroup> vj: array<f32, MAXD>;
var<workgroup> pr: array<f32, CHUNK>; // P of each (t, h) item of the chunk
var<workgroup> ds: array<f32, CHUNK>; // dS of each item

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let kvh = wid.x;
  let D = p.headDim;
  let G = p.nHeads / p.nKVHeads;
  let kvDim = p.nKVHeads * D;
  let S = step.pos0 + step.T;
  for (var j = wid.y; j < S; j += nwg.y) {
    let kb = j * kvDim + kvh * D;
    for (var d = lid.x; d < D; d += WG) { kj[d] = kCache[kb + d]; vj[d] = vCache[kb + d]; }
    workgroupBarrier();
    // queries that see position j: t from max(j − pos0, 0) to T − 1, each with the G heads of the group
    let tStart = select(0u, j - step.pos0, j > step.pos0);
    let items = (step.T - tStart) * G;
    var dk: array<f32, DPT>;
    var dv: array<f32, DPT>;
    for (var u = 0u; u < DPT; u++) { dk[u] = 0.0; dv[u] = 0.0; } // explicit: this body runs once per position
    for (var c0 = 0u; c0 < items; c0 += CHUNK) {
      let cn = min(CHUNK, items - c0);
      for (var i = lid.x; i < cn; i += WG) {
        let t = tStart + (c0 + i) / G;
        let h = kvh * G + (c0 + i) % G;
        let qb = t * p.ldQKV + h * D;
        let ob = (t * p.nHeads + h) * D;
        var s = 0.0;
        var e = 0.0;
        for (var d = 0u; d < D; d++) { s += qkv[qb + d] * kj[d]; e += dO[ob + d] * vj[d]; }
        let st = (t * p.nHeads + h) * 2u;
        let pj = exp(s * p.scale - stats[st]);
        pr[i] = pj;
        ds[i] = pj * (e - stats[st + 1u]);
      }
      workgroupBarrier();
      for (var u = 0u; u < DPT; u++) {
        let d = lid.x + u * WG;
        if (d < D) {
          var a = dk[u];
          var b = dv[u];
          for (var i = 0u; i < cn; i++) {
            let t = tStart + (c0 + i) / G;
            let h = kvh * G + (c0 + i) % G;
            a += ds[i] * qkv[t * p.ldQKV + h * D + d];
            b += pr[i] * dO[(t * p.nHeads + h) * D + d];
          }
          dk[u] = a;
          dv[u] = b;
        }
      }
      workgroupBarrier();
    }
    for (var u = 0u; u < DPT; u++) {
      let d = lid.x + u * WG;
      if (d < D) { dK[kb + d] = p.scale * dk[u]; dV[kb + d] = dv[u]; }
    }
  }
}
