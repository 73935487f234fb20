// A conditioned session: the runtime, one adapter, one condition encoder. What the views and the CLI ask
// for ("score these options as this persona", "generate as this persona", "show me the routing") lives
// here once, so the worker and the CLI give the same answers.
import type { Runtime } from '../model/runtime';
import type { AdapterPath } from '../model/model';
import type { GenerateOptions, GenerationResult, TokenEvent } from '../model/api';
import { createAdapter, type InitMode } from './create';
import { countParams, loraScale, type Adapter, type Target } from './types';
import { CATALOGUE, methodOfPreset, PRESETS, startSpec, type MethodPreset } from './methods';

/** The part of a condition encoder a session needs (src/condition implements it). */
export interface Encoder {
  id: string;
  dim: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Changes to a preset's spec: rank, targets, scale, and CUMA's experts / top-k / gating / shared A. */
export interface SpecOverrides {
  r?: number;
  alpha?: number;
  rsLora?: boolean;
  targets?: Target[];
  experts?: number;
  topK?: number;
  gating?: 'eq4' | 'double';
  sharedA?: boolean;
}

export type { MethodPreset };
/** The adapter picker's label of each preset (the catalogue's). */
export const METHOD_LABEL = Object.fromEntries(PRESETS.map((p) => [p, CATALOGUE[methodOfPreset(p)].label])) as Record<MethodPreset, string>;

/** How a persona conditions the model: through the adapter, or as text before the prompt (persona prompting). */
export type ConditionMode = 'adapter' | 'prompt';

export interface Condition {
  /** the linearized profile (or any text); null: unconditioned */
  text: string | null;
  /** CUMA's profile sentence of the same persona (profileSentence): what a code-recipe adapter embeds and reads as its system prompt */
  sentence?: string | null;
  sentenceB?: string | null;
  /** blend: the embedding moves from `text` (alpha 0) to `textB` (alpha 1) */
  textB?: string | null;
  alpha?: number;
  mode?: ConditionMode;
}

export interface AdapterSummary {
  method: AdapterSpecLike['method'];
  label: string;
  r: number;
  alpha: number;
  scale: number;
  targets: Target[];
  variant?: 'diag' | 'square';
  experts?: number;
  topK?: number;
  gating?: 'eq4' | 'double';
  sharedA?: boolean;
  semanticOnly?: boolean;
  /** the prompt it was trained on (AdapterSpec.prompt) */
  prompt?: 'atlas' | 'code';
  encoderId: string | null;
  condDim: number | null;
  numLayers: number;
  tensors: number;
  params: number;
}
type AdapterSpecLike = Adapter['spec'];

export interface ScoreResult {
  /** option probabilities (renormalized over the option labels' tokens) */
  probs: number[];
  labels: string[];
  /** the prompt as sent (with the persona text in persona-prompting mode) */
  promptText: string;
  /** Zhyper: z per layer, per target (r numbers each, or r² for square) */
  z?: { targets: Target[]; r: number; values: number[][][] };
  /** CUMA: gates per layer over the prompt's tokens */
  gates?: { E: number; tokens: string[]; layers: number[][] };
}

export const OPTION_LETTERS = 'ABCDEFGHIJ';

/** The question and its lettered options, without the "Answer:" that choicePromptIds places. */
export function multipleChoiceBody(question: string, options: string[]): string {
  const lines = options.map((o, i) => `${OPTION_LETTERS[i]}. ${o}`);
  return `${question.trim()}\n${lines.join('\n')}`;
}

/** A multiple-choice prompt in the papers' style, answered by the next token's letter. */
export function multipleChoicePrompt(question: string, options: string[]): string {
  return `${multipleChoiceBody(question, options)}\nAnswer:`;
}

/**
 * A multiple-choice prompt as token ids, answered by the next token: `body` (question and options, no
 * "Answer:") then "Answer:" at the end of a plain prompt, or, with `chat` and a model that has a chat
 * template, as the start of the assistant's turn after it. `stem` is what precedes the answer letter.
 * Compare scores this way and the experiment runner trains this way, so an adapter sees the prompts it
 * was trained on.
 */
export function choicePromptIds(rt: Runtime, body: string, chat: boolean, stem = 'Answer:', system?: string): { ids: number[]; text: string } {
  const tok = rt.tokenizer;
  if (!tok) throw new Error('no model is loaded');
  if (chat && tok.chatPrompt('x') !== null) return { ids: [...rt.encodePrompt(body, true, system), ...(stem ? tok.encode(stem, false) : [])], text: `${tok.chatPrompt(body, system)}${stem}` };
  const text = `${system !== undefined ? `${system}\n\n` : ''}${body}${stem ? `\n${stem}` : ''}`;
  return { ids: rt.encodePrompt(text, false), text };
}

/**
 * The one-line question of CUMA's code (C9): "{question}? A. x B. y … You can only choose one option." The
 * question's own trailing "?" is not doubled.
 */
export function codeQuestion(question: string, options: readonly string[]): string {
  const q = question.trim().replace(/\?\s*$/, '');
  return `${q}? ${options.map((o, i) => `${String.fromCharCode(65 + i)}. ${o}`).join(' ')}. You can only choose one option.`;
}

/**
 * The code recipe's prompt (C8, C9): CUMA's profile `sentence` as the system prompt (opening the user turn
 * where the template has no system role), the one-line question, and, with a chat template, the answer letter
 * right after the assistant marker (`stem` empty). Without a chat template the sentence and question form a
 * plain prompt ending in `stem`. The runner trains this way and Compare scores a code-recipe adapter this way.
 */
export function codePromptIds(rt: Runtime, sentence: string, question: string, options: readonly string[], chat: boolean, plainStem: string): { ids: number[]; text: string; bareLetter: boolean } {
  const tok = rt.tokenizer;
  if (!tok) throw new Error('no model is loaded');
  const body = codeQuestion(question, options);
  if (chat && tok.chatPrompt('x') !== null) {
    const systemRole = tok.chatPrompt('x', 's') !== null;
    const p = systemRole ? choicePromptIds(rt, body, true, '', sentence) : choicePromptIds(rt, `${sentence}\n\n${body}`, true, '');
    return { ...p, bareLetter: true };
  }
  return { ...choicePromptIds(rt, body, false, plainStem, sentence), bareLetter: false };
}

export class ConditionSession {
  adapter: Adapter | null = null;
  private encoder: Encoder | null = null;
  private cache = new Map<string, Float32Array>();

  constructor(readonly rt: Runtime) {}

  setEncoder(e: Encoder): void {
    if (this.encoder?.id !== e.id) this.cache.clear();
    this.encoder = e;
  }

  get encoderId(): string | null {
    return this.encoder?.id ?? null;
  }

  async embed(text: string): Promise<Float32Array> {
    const enc = this.encoder;
    if (!enc) throw new Error('no condition encoder is set');
    const hit = this.cache.get(text);
    if (hit) return hit;
    const [v] = await enc.embed([text]);
    this.cache.set(text, v);
    return v;
  }

  /** A new adapter of a preset for the loaded backbone (random: untrained but visibly active). */
  newAdapter(preset: MethodPreset, seed: number, init: InitMode, o: SpecOverrides = {}): AdapterSummary {
    const condDim = this.encoder?.dim ?? 512;
    const spec = startSpec(methodOfPreset(preset), condDim)!;
    if (o.r != null) spec.r = o.r;
    if (o.alpha != null) spec.alpha = o.alpha;
    if (o.rsLora != null) spec.rsLora = o.rsLora;
    if (o.targets) spec.targets = [...o.targets];
    if (spec.cuma) {
      if (o.experts != null) spec.cuma.experts = o.experts;
      spec.cuma.topK = o.topK ?? (preset === 'cuma-soft' ? spec.cuma.experts : Math.min(spec.cuma.topK, spec.cuma.experts));
      if (o.gating) spec.cuma.gating = o.gating;
      if (o.sharedA != null) spec.cuma.sharedA = o.sharedA;
    }
    if (preset !== 'lora') spec.encoderId = this.encoder?.id;
    return this.useAdapter(createAdapter(spec, this.rt.dims(), seed, init), METHOD_LABEL[preset])!;
  }

  /** Attach an adapter (from a file, or made above). */
  useAdapter(a: Adapter | null, label = 'adapter', opts: { path?: AdapterPath } = {}): AdapterSummary | null {
    if (a) {
      const need = a.spec.zhyper?.condDim ?? a.spec.cuma?.condDim;
      if (need != null && this.encoder && need !== this.encoder.dim) {
        throw new Error(`this adapter reads ${need}-number condition embeddings (encoder ${a.spec.encoderId ?? 'unknown'}), but the current encoder ${this.encoder.id} gives ${this.encoder.dim}: pick that encoder first`);
      }
    }
    this.rt.attachAdapter(a, opts);
    this.adapter = a;
    return a ? summarize(a, label, this.rt.dims().numLayers) : null;
  }

  /** Embed and apply a condition (adapter mode); returns the prompt prefix for persona prompting. */
  async apply(c: Condition): Promise<string> {
    if (c.mode === 'prompt') {
      if (this.adapter) this.rt.setCondition(null);
      return c.text ? `${c.text}\n\n` : '';
    }
    if (!this.adapter || this.adapter.spec.method === 'lora') return '';
    // a code-recipe adapter was trained on CUMA's sentence as its c / e_d text
    const code = this.adapter.spec.prompt === 'code';
    const text = code ? (c.sentence ?? c.text) : c.text;
    const textB = code ? (c.sentenceB ?? c.textB) : c.textB;
    let v: Float32Array | null = text ? await this.embed(text) : null;
    if (v && textB && c.alpha != null) {
      const b = await this.embed(textB);
      const a = c.alpha;
      v = v.map((x, i) => (1 - a) * x + a * b[i]);
    }
    this.rt.setCondition(v);
    return '';
  }

  async score(c: Condition, question: string, options: string[], opts: { chat: boolean; routing?: boolean }): Promise<ScoreResult> {
    const rt = this.rt;
    const tok = rt.tokenizer;
    if (!tok) throw new Error('no model is loaded');
    if (options.length < 2 || options.length > OPTION_LETTERS.length) throw new Error(`a question needs 2 to ${OPTION_LETTERS.length} options`);
    const prefix = await this.apply(c);
    const labels = options.map((_, i) => OPTION_LETTERS[i]);
    let ids: number[], promptText: string, bareLetter = false;
    if (this.adapter?.spec.prompt === 'code' && c.mode !== 'prompt') {
      // as the code recipe trained it (C8, C9): the persona's sentence as the system prompt
      const sentence = c.sentence ?? c.text;
      if (!sentence) throw new Error('this adapter was trained with a persona sentence as its system prompt (the code recipe); give it a persona');
      ({ ids, text: promptText, bareLetter } = codePromptIds(rt, sentence, question, options, opts.chat, 'Answer:'));
    } else {
      // The answer follows "Answer:" in both forms: at the end of a plain prompt, or prefilled as the start
      // of the assistant's turn after the chat template (so the letter is always " A", " B", ...).
      ({ ids, text: promptText } = choicePromptIds(rt, prefix + multipleChoiceBody(question, options), opts.chat));
    }
    const optionIds = labels.map((l) => tok.encode(bareLetter ? l : ` ${l}`, false));
    if (new Set(optionIds.map((t) => t.join(','))).size !== optionIds.length) throw new Error("this tokenizer gives two option letters the same tokens; the options can't be told apart");
    const { probs } = await rt.optionProbs(ids, optionIds);
    const out: ScoreResult = { probs, labels, promptText };
    const gpuAd = rt.model?.adapter;
    if (gpuAd?.z && this.adapter) {
      out.z = { targets: this.adapter.spec.targets, r: this.adapter.spec.r, values: gpuAd.z.map((byT) => this.adapter!.spec.targets.map((t) => Array.from(byT[t]))) };
    }
    if (opts.routing && this.adapter?.spec.method === 'cuma' && c.mode !== 'prompt') {
      const g = await rt.readGates();
      out.gates = { E: g.E, tokens: ids.map((id) => tok.decode([id])), layers: g.gates.map((x) => Array.from(x)) };
    }
    return out;
  }

  /**
   * CUMA's routing of any text (the Learn view's tokens): the condition applied, the text run through the
   * model as a plain prompt (no chat template), and every token's gates at every layer read back.
   */
  async route(c: Condition, text: string): Promise<NonNullable<ScoreResult['gates']>> {
    const rt = this.rt;
    const tok = rt.tokenizer;
    const model = rt.model;
    if (!tok || !model) throw new Error('no model is loaded');
    if (this.adapter?.spec.method !== 'cuma') throw Object.assign(new Error('routing needs a CUMA adapter on the model'), { name: 'NoAdapterError' });
    if (!text.trim()) throw new Error('type some text to route');
    await this.apply({ ...c, mode: 'adapter' });
    const ids = rt.encodePrompt(text, false).slice(0, 64);
    model.reset();
    try {
      await model.forward(ids);
      const g = await rt.readGates();
      return { E: g.E, tokens: ids.map((id) => tok.decode([id])), layers: g.gates.map((x) => Array.from(x)) };
    } finally {
      model.reset();
    }
  }

  async generate(c: Condition, prompt: string, opts: GenerateOptions, onToken?: (e: TokenEvent) => void, signal?: AbortSignal): Promise<GenerationResult> {
    const prefix = await this.apply(c);
    return this.rt.generate(prefix + prompt, opts, onToken, signal);
  }
}

export function summarize(a: Adapter, label: string, numLayers: number): AdapterSummary {
  const s = a.spec;
  const params = countParams(a);
  return {
    method: s.method,
    label,
    r: s.r,
    alpha: s.alpha,
    scale: loraScale(s),
    targets: s.targets,
    variant: s.zhyper?.variant,
    experts: s.cuma?.experts,
    topK: s.cuma?.topK,
    gating: s.cuma?.gating,
    sharedA: s.cuma?.sharedA,
    semanticOnly: s.cuma?.semanticOnly,
    prompt: s.prompt ?? 'atlas',
    encoderId: s.encoderId ?? null,
    condDim: s.zhyper?.condDim ?? s.cuma?.condDim ?? null,
    numLayers,
    tensors: a.tensors.size,
    params,
  };
}
