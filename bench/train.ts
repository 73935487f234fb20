// The training benchmark: one optimizer step of plain LoRA (q, v, r = 8, α = 16: defaultSpec('lora')) on
// a micro-batch, by our GPU trainer (src/train/step.ts) and by the same model and adapter in tfjs on its
// webgpu backend (bench/tfjs-train.ts), on the same WebGPU adapter in the same run.
//
// Both start from the same random-init adapter (A and B ≠ 0, so the adapted model is not the backbone):
// their step-1 losses (before any update) must agree, and so must their step-2 losses (after one AdamW
// step each), which checks the gradients and the update end to end, and so must A and B after the last
// step. After two warm-up steps they take turns, one step each, so drift in a shared machine's speed
// hits both alike; each reports its median ms/step. Each timed step ends with the loss read back to the
// CPU (ours: Trainer.step's own readback; tfjs: loss.data()), so no work is left queued.
// tokens/s counts every processed (real, unpadded) token of the batch; answer tokens/s only the scored
// ones. The ratio is ours ÷ tfjs in processed tokens/s (the bar: ≥ 2).
import type * as TF from '@tensorflow/tfjs';
import type { Runtime } from '../src/model/runtime';
import type { ModelFiles } from '../src/model/sources';
import { createAdapter, defaultSpec } from '../src/adapters/create';
import { Trainer, type TrainExample } from '../src/train/step';
import { TfjsLoraTrainer } from './tfjs-train';
import type { Row } from './core';

export interface TrainBenchModel {
  name: string;
  files: ModelFiles;
  /** sequences per step, their lengths (spread evenly over [min, max]) and timed steps per side */
  batch: number;
  minTokens: number;
  maxTokens: number;
  steps: number;
}

/** Deterministic sequences (ids below 300, as in the forward bench) with one answer token at the end each. */
export function trainBatch(n: number, minT: number, maxT: number, vocab: number): TrainExample[] {
  return Array.from({ length: n }, (_, i) => {
    const T = n > 1 ? Math.round(minT + ((maxT - minT) * i) / (n - 1)) : maxT;
    const ids = Array.from({ length: T }, (_, t) => (t * 37 + i * 101 + 5) % Math.min(300, vocab));
    // the answer: the token after position T − 2 is scored against the last token
    return { ids, answerPositions: [T - 2], targets: [ids[T - 1]] };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function trainBench(rt: Runtime, tf: typeof TF, models: TrainBenchModel[], quick: boolean, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const LR = 1e-3;
  for (const m of models) {
    const steps = quick ? Math.min(2, m.steps) : m.steps;
    await rt.load(m.files, undefined, undefined, { maxChunk: m.maxTokens, maxContext: Math.max(m.maxTokens, 64) });
    const model = rt.model!;
    const spec = defaultSpec('lora', 0);
    const adapter = createAdapter(spec, rt.dims(), 3, 'random');
    rt.attachAdapter(adapter);
    const ours = new Trainer(model, { lr: LR, maxAnswerTokens: 1 });
    const batch = trainBatch(m.batch, m.minTokens, m.maxTokens, model.config.vocabSize);
    const processed = batch.reduce((a, e) => a + e.ids.length, 0);
    const answers = batch.reduce((a, e) => a + e.answerPositions.length, 0);

    const config = await m.files.readText('config.json'), weights = await m.files.readBytes('model.safetensors');
    // the adapter's tensors are copied into tf.variables here, before our trainer's first update
    // (the GPU copy is ours; createAdapter's arrays stay at the initial values until syncAdapter)
    const peers = (['padded', 'per-sequence'] as const).map((batching) => ({
      batching,
      tr: new TfjsLoraTrainer(tf, config, weights, adapter, { lr: LR, batching }),
      ms: [] as number[],
      losses: [] as number[],
    }));

    // steps 1 and 2 warm both up (tfjs compiles its shaders per shape) and check that they agree
    const oursLoss: number[] = [];
    const oursMs: number[] = [];
    const time = async <R>(f: () => Promise<R>): Promise<[R, number]> => {
      const t0 = performance.now();
      const r = await f();
      return [r, performance.now() - t0];
    };
    for (let s = 0; s < 2 + steps; s++) {
      const [r, ms] = await time(() => ours.step(batch));
      oursLoss.push(r.loss);
      if (s >= 2) oursMs.push(ms);
      for (const p of peers) {
        const [q, pms] = await time(() => p.tr.step(batch));
        p.losses.push(q.loss);
        if (s >= 2) p.ms.push(pms);
      }
      log(`  ${m.name} step ${s + 1}: ours loss ${oursLoss[s].toFixed(6)} ${ms.toFixed(0)} ms; ` + peers.map((p) => `tfjs ${p.batching} ${p.losses[s].toFixed(6)} ${p.ms.at(-1)?.toFixed(0) ?? '(warm-up)'} ms`).join('; '));
    }
    // after the same 2 + steps updates, the trained A, B must still agree
    const trained = (await ours.syncAdapter()).tensors;
    let paramDiff = 0, paramMax = 0, relL2 = 0;
    for (const p of peers) {
      let d2 = 0, y2 = 0;
      for (const [name, x] of await p.tr.parameters()) {
        const y = trained.get(name)!.data;
        for (let i = 0; i < x.length; i++) {
          paramDiff = Math.max(paramDiff, Math.abs(x[i] - y[i]));
          paramMax = Math.max(paramMax, Math.abs(y[i]));
          d2 += (x[i] - y[i]) ** 2;
          y2 += y[i] ** 2;
        }
      }
      relL2 = Math.max(relL2, Math.sqrt(d2 / y2));
    }
    ours.destroy();
    rt.attachAdapter(null);
    rt.unload();
    for (const p of peers) p.tr.dispose();

    const oMs = median(oursMs);
    const best = peers.reduce((a, b) => (median(b.ms) < median(a.ms) ? b : a));
    const tMs = median(best.ms);
    const diff = (i: number) => Math.max(...peers.map((p) => Math.abs(p.losses[i] - oursLoss[i])));
    const row: Row = {
      model: m.name,
      adapter: `LoRA r=${spec.r} α=${spec.alpha} ${spec.targets.join(',')} (random init)`,
      batch: `${m.batch} seqs × ${m.minTokens}–${m.maxTokens} tokens`,
      processed_tokens: processed,
      answer_tokens: answers,
      timed_steps: steps,
      ours_ms_per_step: +oMs.toFixed(1),
      tfjs_ms_per_step: +tMs.toFixed(1),
      tfjs_batching: best.batching,
      ...Object.fromEntries(peers.map((p) => [`tfjs_${p.batching}_ms_per_step`, +median(p.ms).toFixed(1)])),
      ours_tok_s: +((processed * 1000) / oMs).toFixed(2),
      tfjs_tok_s: +((processed * 1000) / tMs).toFixed(2),
      ours_answer_tok_s: +((answers * 1000) / oMs).toFixed(3),
      tfjs_answer_tok_s: +((answers * 1000) / tMs).toFixed(3),
      // processed tokens/s, ours ÷ the faster tfjs batching (the bar: ≥ 2)
      ratio: +(tMs / oMs).toFixed(2),
      step1_loss: +oursLoss[0].toFixed(6),
      step1_loss_absdiff: +diff(0).toExponential(2),
      step2_loss_absdiff: +diff(1).toExponential(2),
      // A, B after the last step: ‖ours − tfjs‖ / ‖ours‖ over all of them, and the largest |difference|
      // (max |A, B| for scale). Adam moves an entry whose gradient is at rounding level by a full ±lr, so
      // the max can reach a few lr where the relative L2 stays small.
      final_params_rel_l2: +relL2.toExponential(2),
      final_params_max_absdiff: +paramDiff.toExponential(2),
      final_params_absmax: +paramMax.toFixed(4),
      lr: LR,
    };
    rows.push(row);
    log(JSON.stringify(row));
  }
  return rows;
}
