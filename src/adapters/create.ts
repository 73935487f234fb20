// New adapters: every tensor of a spec, initialised either as training starts ('train': B = 0, so the
// adapted model equals the backbone, as in the papers' code) or with every part random ('random': an
// untrained adapter whose effect is visible, for seeing the mechanism before any training).
import { mulberry32 } from '../model/sampling';
import { gauss, initHypernet, ZHYPER_DEFAULTS } from './zhyper';
import { targetShape, tensorName, type Adapter, type AdapterSpec, type BackboneDims, type Tensor } from './types';

export type InitMode = 'train' | 'random';

const uniform = (n: number, bound: number, rng: () => number) => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * bound);

export function createAdapter(spec: AdapterSpec, dims: BackboneDims, seed = 0, init: InitMode = 'train'): Adapter {
  validateSpec(spec);
  const rng = mulberry32(seed);
  const tensors = new Map<string, Tensor>();
  const put = (name: string, shape: number[], data: Float32Array) => tensors.set(name, { shape, data });
  const { r } = spec;
  const bBound = init === 'random' ? 0.1 : 0;
  for (let l = 0; l < dims.numLayers; l++) {
    for (const t of spec.targets) {
      const [N, K] = targetShape(t, dims);
      if (spec.method === 'cuma') {
        const c = spec.cuma!;
        const EA = c.sharedA ? 1 : c.experts;
        // as shipped: A ~ randn·0.01, B = 0 (training); random: A like PEFT's kaiming-uniform
        const A = init === 'random' ? uniform(EA * r * K, 1 / Math.sqrt(K), rng) : Float32Array.from({ length: EA * r * K }, () => gauss(rng) * 0.01);
        put(tensorName(l, t, 'A'), [EA, r, K], A);
        put(tensorName(l, t, 'B'), [c.experts, N, r], uniform(c.experts * N * r, bBound, rng));
      } else {
        // PEFT's init: A kaiming-uniform (bound 1/√K), B = 0
        put(tensorName(l, t, 'A'), [r, K], uniform(r * K, 1 / Math.sqrt(K), rng));
        put(tensorName(l, t, 'B'), [N, r], uniform(N * r, bBound, rng));
      }
    }
    if (spec.method === 'cuma') {
      const c = spec.cuma!;
      const D = c.semanticOnly ? 0 : c.condDim;
      const H = dims.hiddenSize, R = c.routerHidden;
      const W1 = uniform(R * (H + D), 1 / Math.sqrt(H + D), rng);
      if (init === 'random' && D) {
        // untrained, the e_d columns would barely move the router; widen them so personas route differently
        for (let j = 0; j < R; j++) for (let i = H; i < H + D; i++) W1[j * (H + D) + i] *= 8;
      }
      put(tensorName(l, 'router', 'W1'), [R, H + D], W1);
      put(tensorName(l, 'router', 'b1'), [R], uniform(R, 1 / Math.sqrt(H + D), rng));
      put(tensorName(l, 'router', 'W2'), [c.experts, R], uniform(c.experts * R, (init === 'random' ? 4 : 1) / Math.sqrt(R), rng));
      put(tensorName(l, 'router', 'b2'), [c.experts], uniform(c.experts, 1 / Math.sqrt(R), rng));
    }
  }
  if (spec.method === 'zhyper') for (const [k, v] of initHypernet(spec, dims, rng, init === 'random')) tensors.set(k, v);
  return { spec: structuredClone(spec), tensors };
}

export function validateSpec(spec: AdapterSpec): void {
  if (!Number.isInteger(spec.r) || spec.r < 1) throw new Error(`rank r must be a positive integer, got ${spec.r}`);
  if (spec.targets.length === 0) throw new Error('an adapter needs at least one target module');
  if (new Set(spec.targets).size !== spec.targets.length) throw new Error(`targets repeat: ${spec.targets.join(', ')}`);
  if (spec.method === 'zhyper' && !spec.zhyper) throw new Error('a Zhyper spec needs its zhyper section');
  if (spec.method === 'cuma') {
    const c = spec.cuma;
    if (!c) throw new Error('a CUMA spec needs its cuma section');
    if (c.experts < 1 || c.experts > 16) throw new Error(`CUMA supports 1 to 16 experts, got ${c.experts}`);
    if (c.topK < 1 || c.topK > c.experts) throw new Error(`top-k must be between 1 and ${c.experts}, got ${c.topK}`);
  }
}

/** The papers' default configurations, for a condition encoder of width condDim. */
export function defaultSpec(method: 'lora' | 'zhyper' | 'zhyper-square' | 'cuma' | 'cuma-soft' | 'cuma-semantic', condDim: number): AdapterSpec {
  switch (method) {
    case 'lora':
      return { method: 'lora', r: 8, alpha: 16, rsLora: false, targets: ['q', 'v'] };
    case 'zhyper':
    case 'zhyper-square':
      // Zhyper: r = 8, α = 16, rsLoRA (s = α/√r ≈ 5.66), q and v
      return { method: 'zhyper', r: 8, alpha: 16, rsLora: true, targets: ['q', 'v'], zhyper: { variant: method === 'zhyper' ? 'diag' : 'square', condDim, ...ZHYPER_DEFAULTS } };
    case 'cuma':
    case 'cuma-soft':
    case 'cuma-semantic':
      // CUMA as shipped: N = 8, k = 2, HydraLoRA shared A, α/r = 2, q and v
      return {
        method: 'cuma',
        r: 8,
        alpha: 16,
        rsLora: false,
        targets: ['q', 'v'],
        cuma: { experts: 8, topK: method === 'cuma-soft' ? 8 : 2, gating: 'eq4', sharedA: true, semanticOnly: method === 'cuma-semantic', routerHidden: 256, condDim },
      };
  }
}
