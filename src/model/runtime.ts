// The runtime: one GPU device, one loaded model, generation. The same class runs in the page's
// worker and in Node (CLI, tests, bench); only the GPU object and the shader map are passed in.
import { chooseVariants, type KernelVariants } from '../gpu/variants';
import { acquireGpu, GPULimitError, type AdapterInfo, type Gpu } from '../gpu/device';
import { readF32 } from '../gpu/buffers';
import { Kernels } from '../gpu/kernels';
import type { ShaderLibrary } from '../gpu/shaders';
import { parseConfig, type ModelConfig } from './config';
import { checkCheckpoint, checkFitsAdapter, checkValues, readCheckpoint, uploadWeights } from './weights';
import { LlamaModel, TOPK_GPU_MAX, type AdapterPath, type ModelOptions, type SampledStep } from './model';
import { loadTokenizer, type Tokenizer } from './tokenizer';
import { draw, drawNucleus, mulberry32, sample } from './sampling';
import { TextStream } from './text-stream';
import type { ModelFiles } from './sources';
import { GpuAdapter } from '../adapters/gpu';
import type { Adapter, BackboneDims } from '../adapters/types';
import type { GenerateOptions, GenerationResult, LoadProgress, ModelSummary, TokenEvent } from './api';

export class Runtime {
  readonly info: AdapterInfo;
  readonly lost: Promise<string>;
  private readonly kernels: Kernels;
  model: LlamaModel | null = null;
  tokenizer: Tokenizer | null = null;
  config: ModelConfig | null = null;
  /** the loaded model, or null */
  summary: ModelSummary | null = null;
  /** sampled top-p steps so far: drawn from the GPU's candidates, or from the logits read back (a large or uncertain nucleus) */
  readonly nucleusSteps = { onGpu: 0, logitsBack: 0 };
  /** sampled top-k steps queued on the GPU's draw (since this runtime was made), and those run again on the CPU's token */
  readonly queuedSamples = { queued: 0, redone: 0 };
  private generationEos: number[] = [];

  private constructor(
    readonly gpu: Gpu,
    shaders: ShaderLibrary,
  ) {
    this.info = gpu.info;
    this.lost = gpu.lost;
    this.kernels = new Kernels(gpu.device, shaders, chooseVariants(gpu.info));
  }

  static async create(gpu: GPU | undefined | null, shaders: ShaderLibrary): Promise<Runtime> {
    return new Runtime(await acquireGpu(gpu), shaders);
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  /** The kernel variants this device runs (variants.ts). A change applies from the next load or adapter. */
  get variants(): KernelVariants {
    return this.kernels.variants;
  }
  set variants(v: KernelVariants) {
    this.kernels.variants = v;
  }

  async load(files: ModelFiles, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal, opts: ModelOptions = {}): Promise<ModelSummary> {
    // Everything that can be checked on the CPU is checked before the loaded model is let go,
    // so a bad folder or download leaves the current model working.
    const config = parseConfig(await files.readText('config.json'));
    onProgress?.({ phase: 'tokenizer', file: 'tokenizer.json', loaded: 0, total: 0 });
    const tokenizer = await loadTokenizer(files);
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new Error(`tokenizer.json has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${config.vocabSize}`);
    }
    let genEos: number[] = [];
    if (await files.has('generation_config.json')) {
      try {
        const g = JSON.parse(await files.readText('generation_config.json'));
        genEos = ([] as unknown[]).concat(g.eos_token_id ?? []).filter((x): x is number => Number.isInteger(x));
      } catch {
        /* generation_config.json is optional; a broken one only loses its extra stop ids */
      }
    }
    const maxBinding = Math.min(this.device.limits.maxStorageBufferBindingSize, opts.maxBindingBytes ?? Infinity);
    const dtype = opts.weights ?? 'f16';
    const { bytes } = checkFitsAdapter(config, maxBinding, dtype);
    const ckpt = await readCheckpoint(files, (p) => onProgress?.({ phase: 'download', ...p }), signal);
    checkCheckpoint(config, ckpt);
    checkValues(config, ckpt, dtype);
    this.unload();
    onProgress?.({ phase: 'upload', file: 'weights', loaded: 0, total: 1 });
    // Out-of-memory on the GPU is reported through an error scope, not an exception: catch it and say so.
    this.device.pushErrorScope('out-of-memory');
    let model: LlamaModel | null = null;
    let failure: unknown = null;
    try {
      const weights = uploadWeights(this.device, config, ckpt, opts.maxBindingBytes, dtype);
      model = new LlamaModel(this.kernels, config, weights, opts);
    } catch (e) {
      failure = e;
    }
    const oom = await this.device.popErrorScope();
    if (oom) {
      model?.destroy();
      throw new GPULimitError(`the GPU ran out of memory loading this model (it needs about ${(bytes / 2 ** 30).toFixed(2)} GiB in ${dtype}): the model is too large for this adapter`);
    }
    if (failure || !model) throw failure;
    this.model = model;
    this.tokenizer = tokenizer;
    this.config = config;
    this.generationEos = genEos;
    onProgress?.({ phase: 'ready', file: 'weights', loaded: 1, total: 1 });
    this.summary = {
      label: files.label,
      architecture: config.architecture,
      numParams: model.weights.numParams,
      numLayers: config.numLayers,
      hiddenSize: config.hiddenSize,
      vocabSize: config.vocabSize,
      hasChatTemplate: tokenizer.chatPrompt('x') !== null,
      gpuBytes: model.weights.gpuBytes,
      weights: dtype,
      weightFormat: this.kernels.weightFormat(dtype),
    };
    return this.summary;
  }

  private need(): { model: LlamaModel; tokenizer: Tokenizer; config: ModelConfig } {
    if (!this.model || !this.tokenizer || !this.config) throw new Error('no model is loaded');
    return { model: this.model, tokenizer: this.tokenizer, config: this.config };
  }

  encodePrompt(prompt: string, chat: boolean, system?: string): number[] {
    const { tokenizer } = this.need();
    const templ = chat ? tokenizer.chatPrompt(prompt, system) : null;
    if (templ !== null) return tokenizer.encode(templ, false);
    return tokenizer.encode(system !== undefined ? `${system}\n\n${prompt}` : prompt, true);
  }

  /** Logits at the last position of `ids`, from an empty cache. */
  async logits(ids: number[]): Promise<Float32Array> {
    const { model, config } = this.need();
    checkIds(ids, config.vocabSize);
    model.reset();
    return model.forward(ids);
  }

  async generate(prompt: string | number[], opts: GenerateOptions, onToken?: (e: TokenEvent) => void, signal?: AbortSignal): Promise<GenerationResult> {
    const { model, tokenizer, config } = this.need();
    const promptIds = typeof prompt === 'string' ? this.encodePrompt(prompt, opts.chat) : prompt;
    if (promptIds.length === 0) throw new Error('the prompt is empty');
    const eos = new Set([...config.eosTokenIds, ...tokenizer.eosIds, ...this.generationEos]);
    const rand = mulberry32(opts.seed);
    const ids: number[] = [];
    let stopReason: GenerationResult['stopReason'] = 'max_tokens';
    model.reset();
    if (promptIds.length >= model.maxContext) throw new Error(`the prompt has ${promptIds.length} tokens; this model's context here is ${model.maxContext}`);
    checkIds(promptIds, config.vocabSize);
    // greedy: the argmax on the GPU (4 bytes back per token), each step queued before the last one's id is read (its
    // token is that argmax, on the GPU); sampling: the logits back, sampled on the CPU, or where the device picks the
    // candidates on the GPU (variants.sampling), top-k's (8k bytes back) or top-p's (nucleus.wgsl), and the same draw
    const sampled = !opts.greedy && opts.temperature > 0;
    const gpuTopK = sampled && this.kernels.variants.sampling === 'gpu' && opts.topK >= 1 && opts.topK <= TOPK_GPU_MAX;
    // top-p alone: its candidates on the GPU (a few KB back) where the nucleus is small and its cut certain; else the
    // logits of that step come back and the CPU samples them, so the tokens are the CPU path's either way
    const gpuNucleus = sampled && this.kernels.variants.topP === 'gpu' && (opts.topK < 1 || opts.topK >= config.vocabSize) && opts.topP > 0 && opts.topP < 1;
    let ahead: Promise<number> | null = null;
    // sampled top-k on the GPU, queued like greedy: each step also draws a token on the GPU (draw.wgsl) with the uniform
    // the seeded generator gives that step, and the next step is queued on that token before this one's candidates
    // are read. The CPU then draws from the candidates with the same code and uniform as the CPU path and keeps its own
    // token; where the two differ (f32 rounding put u across a boundary) the queued step is dropped and run again on
    // the CPU's token. So the tokens are the CPU path's for every seed.
    let queued: Promise<SampledStep> | null = null;
    let queuedOn = -1;
    const us: number[] = [];
    const uniform = (i: number) => {
      while (us.length <= i) us.push(rand());
      return us[i];
    };
    let step = 0;
    const kOpts = (i: number) => ({ k: opts.topK, temperature: opts.temperature, topP: opts.topP, u: uniform(i) });
    const next = opts.greedy
      ? (t: number[]) => {
          const cur = ahead ?? model.greedyStep(t);
          // the step after cur, if it can be needed: token ids.length + 2 within maxTokens and the context
          ahead = ids.length + 2 <= opts.maxTokens && model.pos < model.maxContext ? model.greedyStep(null) : null;
          return cur;
        }
      : gpuTopK
        ? async (t: number[]) => {
            const i = step++;
            let cur: Promise<SampledStep>;
            if (queued && t.length === 1 && t[0] === queuedOn) cur = queued;
            else {
              if (queued) {
                await queued.catch(() => null);
                model.pos -= 1;
                this.queuedSamples.redone++;
              }
              cur = model.sampledStep(t, kOpts(i));
            }
            queued = ids.length + 2 <= opts.maxTokens && model.pos < model.maxContext ? model.sampledStep(null, kOpts(i + 1)) : null;
            if (queued) {
              this.queuedSamples.queued++;
              queued.catch(() => {}); // read (or dropped) by the next call or after the loop; never unhandled meanwhile
            }
            const r = await cur;
            queuedOn = r.drawn;
            return draw(r.idx, r.vals, opts, () => us[i]);
          }
        : gpuNucleus
          ? async (t: number[]) => {
              const c = await model.forwardNucleus(t, opts.temperature, opts.topP);
              const id = c && drawNucleus(c.idx, c.vals, c.Z, opts, rand);
              this.nucleusSteps[id === null ? 'logitsBack' : 'onGpu']++;
              return id ?? sample(await model.readLogits(), opts, rand);
            }
          : async (t: number[]) => sample(await model.forward(t), opts, rand);
    const t0 = performance.now();
    let id = await next(promptIds);
    const t1 = performance.now();
    const stream = new TextStream(tokenizer);
    while (ids.length < opts.maxTokens) {
      if (signal?.aborted) {
        stopReason = 'cancelled';
        break;
      }
      if (eos.has(id)) {
        ids.push(id); // kept in the ids, as Hugging Face's generate does; decode() drops it from the text
        stopReason = 'eos';
        break;
      }
      ids.push(id);
      const text = stream.push(id);
      const dt = (performance.now() - t1) / 1000;
      onToken?.({ id, text, count: ids.length, tokensPerSecond: ids.length > 1 ? (ids.length - 1) / dt : 0 });
      if (ids.length >= opts.maxTokens) break;
      if (model.pos - (ahead || queued ? 1 : 0) >= model.maxContext) {
        stopReason = 'context_full';
        break;
      }
      id = await next([id]);
    }
    const t2 = performance.now();
    // (set inside the step closures, which TypeScript's narrowing does not see)
    const last = (ahead ?? queued) as Promise<unknown> | null;
    if (last) {
      // a step queued past the end (EOS, cancel): its token is not kept, and the cache position is given back
      await last.catch(() => 0);
      model.pos -= 1;
    }
    return {
      promptIds,
      ids,
      // whole characters only: a generation cut inside a character (max tokens) drops its first bytes
      text: stream.text,
      stopReason,
      prefillTokensPerSecond: promptIds.length / ((t1 - t0) / 1000),
      decodeTokensPerSecond: ids.length > 1 ? (ids.length - 1) / ((t2 - t1) / 1000) : 0,
    };
  }

  /** The backbone shapes adapters are made for. */
  dims(): BackboneDims {
    const { config: c } = this.need();
    return { numLayers: c.numLayers, hiddenSize: c.hiddenSize, intermediateSize: c.intermediateSize, qDim: c.numHeads * c.headDim, kvDim: c.numKVHeads * c.headDim };
  }

  /**
   * Put an adapter on the loaded model (null: the plain backbone). fused = false runs the adapted
   * projections as separate dispatches (the baseline the fused kernels are measured against).
   */
  attachAdapter(adapter: Adapter | null, opts: { path?: AdapterPath } = {}): GpuAdapter | null {
    const { model } = this.need();
    const old = model.adapter;
    const ad = adapter ? new GpuAdapter(this.device, adapter, this.dims(), model.maxContext) : null;
    model.attach(ad, opts);
    old?.destroy();
    model.reset();
    return ad;
  }

  /** Condition the attached adapter (c: the condition embedding; null: none). */
  setCondition(c: Float32Array | null): void {
    const { model } = this.need();
    if (!model.adapter) throw new Error('no adapter is attached');
    model.adapter.setCondition(c);
    model.reset();
  }

  /** Adapter strength: 0 = backbone, 1 = as trained, up to 2 = doubled. */
  setStrength(m: number): void {
    const { model } = this.need();
    if (!(m >= 0 && m <= 4)) throw new Error(`adapter strength must be between 0 and 4, got ${m}`);
    model.setStrength(m);
    model.reset();
  }

  /**
   * CUMA's gates for the positions now in the KV cache: gates[layer][position·E + expert].
   * (Read after logits() / generate(): they cover the prompt and every generated token.)
   */
  async readGates(): Promise<{ E: number; T: number; gates: Float32Array[] }> {
    const { model } = this.need();
    const ad = model.adapter;
    if (!ad || ad.adapter.spec.method !== 'cuma') throw new Error('the attached adapter has no router (gates exist for CUMA only)');
    const E = ad.adapter.spec.cuma!.experts;
    const T = model.pos;
    const gates = await Promise.all(ad.layers.map((st) => readF32(this.device, st.router!.gates, 0, Math.max(1, T * E))));
    return { E, T, gates: gates.map((g) => g.slice(0, T * E)) };
  }

  /**
   * Probability of each option after `ids`: each option is a token sequence (a letter is one token with
   * real tokenizers, more with byte-level ones), scored by its total log-probability, then renormalized
   * over the options. Multi-token options run extra decode steps, rewinding the KV cache after each, so
   * the cache (and CUMA's gates) afterwards hold exactly `ids`.
   */
  async optionProbs(ids: number[], options: number[][]): Promise<{ probs: number[]; logProbs: number[] }> {
    const { model } = this.need();
    if (options.some((o) => o.length === 0)) throw new Error('an option has no tokens');
    const logSoftmax = (l: Float32Array) => {
      let m = -Infinity;
      for (const v of l) m = Math.max(m, v);
      let z = 0;
      for (const v of l) z += Math.exp(v - m);
      const lz = m + Math.log(z);
      return (id: number) => l[id] - lz;
    };
    const first = logSoftmax(await this.logits(ids));
    const P = model.pos;
    const logProbs: number[] = [];
    for (const o of options) {
      let lp = first(o[0]);
      for (let i = 1; i < o.length; i++) lp += logSoftmax(await model.forward([o[i - 1]]))(o[i]);
      model.pos = P;
      logProbs.push(lp);
    }
    const m = Math.max(...logProbs);
    const e = logProbs.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    return { probs: e.map((v) => v / z), logProbs };
  }

  unload(): void {
    this.model?.adapter?.destroy();
    this.model?.destroy();
    this.model = null;
    this.tokenizer = null;
    this.config = null;
    this.summary = null;
  }

  destroy(): void {
    this.unload();
    this.device.destroy();
  }
}

/** Every id is a token of the vocabulary (a wrong id would read past the embedding table). */
function checkIds(ids: readonly number[], vocabSize: number): void {
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`token id ${id} is outside the vocabulary [0, ${vocabSize})`);
}
