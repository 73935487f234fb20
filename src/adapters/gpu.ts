// An adapter on the GPU: its A, B (and CUMA's routers) uploaded in the layout the adapted kernels read,
// grouped by the backbone's projections (q, k, v share the fused qkv matrix, so they are its segments).
// Setting a condition writes only small buffers (Zhyper's z per layer and module; CUMA's router vector
// c = W1e·e_d + b1 per layer); the dispatches never change.
import { storage } from '../gpu/buffers';
import { LORA_MODE, type LoraBinding, type LoraMode } from '../gpu/kernels';
import { Hypernet } from './zhyper';
import { expectedAdapterShapes } from './files';
import { loraScale, tensorName, type Adapter, type BackboneDims, type Target } from './types';

export type Projection = 'qkv' | 'o' | 'gate' | 'up' | 'down';

/** Which projection a target lives in, and where its rows start there. */
export function segmentOf(t: Target, d: BackboneDims): { proj: Projection; start: number; len: number } {
  switch (t) {
    case 'q': return { proj: 'qkv', start: 0, len: d.qDim };
    case 'k': return { proj: 'qkv', start: d.qDim, len: d.kvDim };
    case 'v': return { proj: 'qkv', start: d.qDim + d.kvDim, len: d.kvDim };
    case 'o': return { proj: 'o', start: 0, len: d.hiddenSize };
    case 'gate': return { proj: 'gate', start: 0, len: d.intermediateSize };
    case 'up': return { proj: 'up', start: 0, len: d.intermediateSize };
    case 'down': return { proj: 'down', start: 0, len: d.hiddenSize };
  }
}

export interface RouterBuffers {
  H: number;
  R: number;
  E: number;
  k: number;
  gating: 'eq4' | 'double';
  W1h: GPUBuffer;
  c: GPUBuffer;
  W2: GPUBuffer;
  b2: GPUBuffer;
  /** [maxContext, E]: the gates of every position, written by the router, read by the views */
  gates: GPUBuffer;
  /** [R] the router's hidden activations of one decoded token (router_hidden_subgroup → router_gates) */
  a: GPUBuffer;
}

/** One layer of an adapter on the GPU: its projections' bindings and CUMA's router. */
export interface GpuLayer {
  bindings: Partial<Record<Projection, LoraBinding & { targets: Target[] }>>;
  router?: RouterBuffers & { W1e: Float32Array | null; b1: Float32Array };
}

export class GpuAdapter {
  readonly layers: GpuLayer[];
  readonly scale: number;
  private readonly owned: GPUBuffer[] = [];
  private readonly hyper: Hypernet | null;
  /** the z of the current condition, zs[layer][target] (Zhyper) */
  z: Record<string, Float32Array>[] | null = null;

  constructor(
    private readonly device: GPUDevice,
    readonly adapter: Adapter,
    readonly dims: BackboneDims,
    readonly maxContext: number,
  ) {
    const spec = adapter.spec;
    // every upload below trusts these shapes: check them once, with the tensor's name in the message
    for (const [name, shape] of expectedAdapterShapes(spec, dims)) {
      const t = adapter.tensors.get(name);
      if (!t) throw new Error(`adapter is missing tensor ${name}`);
      const n = shape.reduce((a, b) => a * b, 1);
      if (t.data.length !== n || t.shape.join() !== shape.join()) throw new Error(`adapter tensor ${name} is [${t.shape.join(', ')}] but this backbone needs [${shape.join(', ')}]`);
    }
    const { r } = spec;
    this.scale = loraScale(spec);
    this.hyper = spec.method === 'zhyper' ? new Hypernet(adapter) : null;
    const E = spec.cuma?.experts ?? 1;
    const EA = spec.cuma ? (spec.cuma.sharedA ? 1 : E) : 1;
    const mode: LoraMode = spec.method === 'cuma' ? LORA_MODE.gatedExperts : spec.method === 'zhyper' ? (spec.zhyper!.variant === 'square' ? LORA_MODE.zSquare : LORA_MODE.zDiag) : LORA_MODE.plain;
    const buf = (d: Float32Array | number, label: string) => {
      const b = storage(device, d, label);
      this.owned.push(b);
      return b;
    };
    const get = (name: string) => {
      const t = adapter.tensors.get(name);
      if (!t) throw new Error(`adapter is missing tensor ${name}`);
      return t.data;
    };
    this.layers = Array.from({ length: dims.numLayers }, (_, l) => {
      const st: GpuLayer = { bindings: {} };
      if (spec.method === 'cuma') {
        const c = spec.cuma!;
        const H = dims.hiddenSize, D = c.semanticOnly ? 0 : c.condDim, R = c.routerHidden;
        const W1 = get(tensorName(l, 'router', 'W1'));
        // split the first Linear on [h ⊕ e_d]: the h columns run per token on the GPU, the e_d columns once per condition here
        const W1h = new Float32Array(R * H);
        const W1e = D ? new Float32Array(R * D) : null;
        for (let j = 0; j < R; j++) {
          W1h.set(W1.subarray(j * (H + D), j * (H + D) + H), j * H);
          W1e?.set(W1.subarray(j * (H + D) + H, (j + 1) * (H + D)), j * D);
        }
        const b1 = get(tensorName(l, 'router', 'b1'));
        st.router = {
          H, R, E, k: c.topK, gating: c.gating,
          W1h: buf(W1h, `router.${l}.W1h`), c: buf(b1, `router.${l}.c`), W2: buf(get(tensorName(l, 'router', 'W2')), `router.${l}.W2`),
          b2: buf(get(tensorName(l, 'router', 'b2')), `router.${l}.b2`), gates: buf(maxContext * E, `router.${l}.gates`),
          a: buf(R, `router.${l}.a`), W1e, b1,
        };
      }
      // group the targets by projection, segments in row order
      const byProj = new Map<Projection, Target[]>();
      for (const t of spec.targets) {
        const p = segmentOf(t, dims).proj;
        byProj.set(p, [...(byProj.get(p) ?? []), t]);
      }
      for (const [proj, ts] of byProj) {
        ts.sort((a, b) => segmentOf(a, dims).start - segmentOf(b, dims).start);
        const A = concat(ts.map((t) => get(tensorName(l, t, 'A'))));
        const B = concat(ts.map((t) => get(tensorName(l, t, 'B'))));
        const condLen = mode === LORA_MODE.zDiag ? ts.length * r : mode === LORA_MODE.zSquare ? ts.length * r * r : 4;
        st.bindings[proj] = {
          mode, r, E, EA, scale: this.scale, targets: ts,
          segs: ts.map((t) => ({ start: segmentOf(t, dims).start, len: segmentOf(t, dims).len })),
          A: buf(A, `lora.${l}.${proj}.A`), B: buf(B, `lora.${l}.${proj}.B`),
          cond: mode === LORA_MODE.gatedExperts ? st.router!.gates : buf(condLen, `lora.${l}.${proj}.z`),
        };
      }
      return st;
    });
  }

  /**
   * Condition the adapter on c (Zhyper's c, CUMA's e_d). null: Zhyper's z = 0 (ΔW = 0) and CUMA's router
   * without e_d (c = b1). Plain LoRA ignores it.
   */
  setCondition(c: Float32Array | null): void {
    const spec = this.adapter.spec;
    if (spec.method === 'zhyper') {
      this.z = c ? this.hyper!.all(c, this.dims.numLayers) : null;
      this.layers.forEach((st, l) => {
        for (const b of Object.values(st.bindings)) {
          const data = c ? concat(b.targets.map((t) => this.z![l][t])) : new Float32Array(b.targets.length * (b.mode === LORA_MODE.zSquare ? b.r * b.r : b.r));
          this.device.queue.writeBuffer(b.cond, 0, data as Float32Array<ArrayBuffer>);
        }
      });
    } else if (spec.method === 'cuma') {
      for (const st of this.layers) {
        const rt = st.router!;
        const v = rt.b1.slice();
        if (c && rt.W1e) {
          const D = spec.cuma!.condDim;
          if (c.length !== D) throw new Error(`condition embedding has ${c.length} numbers; this adapter was made for ${D} (encoder ${spec.encoderId ?? '?'})`);
          for (let j = 0; j < rt.R; j++) {
            let s = 0;
            for (let i = 0; i < D; i++) s += rt.W1e[j * D + i] * c[i];
            v[j] += s;
          }
        }
        this.device.queue.writeBuffer(rt.c, 0, v);
      }
    }
  }

  /** Rows of U for the unfused path: the largest nSeg·EA·r of any projection. */
  get maxRows(): number {
    let m = 0;
    for (const st of this.layers) for (const b of Object.values(st.bindings)) m = Math.max(m, b.segs.length * b.EA * b.r);
    return m;
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
