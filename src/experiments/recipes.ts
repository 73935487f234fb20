// Two recipes for training and evaluating the methods:
//   code:  as the authors' code does it, point by point (../../../shared/notes/methods.md, "What the authors'
//          code does"), so a Table 1 here compares with the papers' tables;
//   atlas: this project's choices, each with its reason: what makes the methods train and show their
//          differences on a small embedded model, in minutes, on an emulated GPU.
// FIDELITY is the one list of the points: the README's table is written from it (npm run fidelity), and a test
// checks the README against it and checks every point's code form against a hand computation.
import type { Target } from '../adapters/types';
import type { ExperimentMethod } from './runner';

export const RECIPES = ['atlas', 'code'] as const;
export type Recipe = (typeof RECIPES)[number];

/** What a recipe sets for one method. */
export interface RecipeSettings {
  /** adapted modules (Z8, C5: q and v in the code) */
  targets: Target[] | null;
  /** LoRA scale: α/r = 2 (CUMA, C5), or rsLoRA α/√r with α = 2r (Zhyper, Z8) */
  scale: 'alpha-over-r' | 'rslora';
  /** Zhyper's condition: the encoder's vector as is ('raw'), or normalize(c)·√d (Z1) */
  condScale: 'raw' | 'sqrt-d';
  /** Zhyper's trunk (Z2–Z5) */
  trunk: 'atlas' | 'code';
  /** CUMA's gating (C3) */
  gating: 'eq4' | 'double';
  /** CUMA's load balance (C4): Mixtral's dense form per sequence, or the code's sparse-gate form with f/k */
  loadBalance: 'dense' | 'sparse';
  /** label smoothing of the cross-entropy (Z9: 0.1 for Zhyper) */
  labelSmoothing: number;
  /** learning-rate schedule (Z10: 20% linear warmup, linear decay) */
  schedule: { warmup: number; decay: 'cosine' | 'linear' };
  /** the prompt: the profile sentence as the system prompt with the one-line question (C8, C9), or ours */
  prompt: 'atlas' | 'code';
  /** centre the condition embeddings over the training profiles (ours; the code feeds them raw) */
  centre: boolean | null;
}

const isZhyper = (m: ExperimentMethod) => m === 'zhyper-diag' || m === 'zhyper-square';

/** A method's settings under a recipe. null fields leave the experiment config's own value. */
export function recipeSettings(recipe: Recipe, method: ExperimentMethod): RecipeSettings {
  if (recipe === 'atlas') {
    return { targets: null, scale: 'alpha-over-r', condScale: 'raw', trunk: 'atlas', gating: 'eq4', loadBalance: 'dense', labelSmoothing: 0, schedule: { warmup: 0.1, decay: 'cosine' }, prompt: 'atlas', centre: null };
  }
  return {
    targets: ['q', 'v'],
    scale: isZhyper(method) ? 'rslora' : 'alpha-over-r',
    condScale: 'sqrt-d',
    trunk: 'code',
    gating: 'double',
    loadBalance: 'sparse',
    labelSmoothing: isZhyper(method) ? 0.1 : 0,
    schedule: isZhyper(method) ? { warmup: 0.2, decay: 'linear' } : { warmup: 0.1, decay: 'linear' },
    prompt: 'code',
    centre: false,
  };
}

export { codeQuestion } from '../adapters/session';

/** One point of the methods note: the authors' code, our atlas recipe, and how the code recipe stands. */
export interface FidelityPoint {
  id: string;
  point: string;
  code: string;
  atlas: string;
  /** 'matched': the code recipe does what the code does; otherwise why it cannot here */
  codeRecipe: 'matched' | string;
  /** why the atlas recipe differs (empty when it does what the code does) */
  why: string;
}

export const FIDELITY: readonly FidelityPoint[] = [
  { id: 'Z1', point: 'condition vector', code: 'c = normalize(e)·√d, then Linear(d→64) + LayerNorm', atlas: 'e as the encoder gives it (unit length), centred over the training profiles', codeRecipe: 'matched', why: 'centring takes out the direction all profile embeddings share (|μ| ≈ 0.95 of unit vectors), so small differences between people reach the hypernetwork; the LayerNorm after the projection makes the √d scale immaterial there' },
  { id: 'Z2', point: 'layer / module-type embeddings', code: 'Embedding + LayerNorm each', atlas: 'Embedding, no LayerNorm', codeRecipe: 'matched', why: 'our earlier reading of the code; the code trunk has it' },
  { id: 'Z3', point: 'mixer', code: 'Dropout → Linear → SiLU → Dropout → Linear → SiLU → Dropout', atlas: 'Linear → SiLU → Linear, no dropout', codeRecipe: 'matched but for dropout: training here is deterministic (resumable, comparable runs); dropout 0.05 on a few hundred steps changes little', why: 'no SiLU after the second Linear: the mixer can output negative values; no dropout (deterministic runs)' },
  { id: 'Z4', point: 'residual blocks (×2)', code: 'x + [LN → Linear → SiLU → Dropout → Linear → SiLU → Dropout]', atlas: 'x + [LN → Linear → SiLU → Linear]', codeRecipe: 'matched but for dropout (as Z3)', why: 'no SiLU after the second Linear, no dropout (as Z3)' },
  { id: 'Z5', point: 'output block', code: 'LN → Linear(128→512) → SiLU → Dropout → Linear(512→512) → SiLU', atlas: 'LN → Linear(128→512) → SiLU', codeRecipe: 'matched but for dropout (as Z3)', why: 'one Linear fewer (0.26M parameters fewer) for a model with 3 layers' },
  { id: 'Z6', point: 'heads', code: 'zero weights, biased; diag r outputs, square r²', atlas: 'the same', codeRecipe: 'matched', why: '' },
  { id: 'Z7', point: 'how z enters', code: 'PEFT’s s·B·A stays on beside the hook’s s·B·Z·A: ΔW = s·B(I + Z)A', atlas: 'the same, in one matrix: the heads’ bias starts at the identity (z = 1 + ε)', codeRecipe: 'matched', why: '' },
  { id: 'Z8', point: 'scale, targets, LoRA dropout', code: 'rsLoRA s = α/√r (α = 2r → 5.66 at r = 8); q_proj and v_proj; dropout 0.05', atlas: 's = α/r = 2 for every method; q, v, o and down', codeRecipe: 'matched but for dropout (as Z3)', why: 'one scale for every method compares like with like; on the embedded model (a constructed bigram whose attention and MLP write through o/down weights of ~1% scale) an update of q and v alone barely reaches the logits' },
  { id: 'Z9', point: 'loss', code: 'label smoothing 0.1, response tokens only, mean per sample, + 1e-3·(mean((diag z·A)²) + mean(B²)); NEFTune α = 5', atlas: 'cross-entropy on the answer letter, no smoothing, no L2, no NEFTune', codeRecipe: 'label smoothing matched; the response is the answer letter, so "response tokens only" is the same; the L2 on generated weights and NEFTune are not implemented: both are regularisers for fine-tuning a 7B model on long texts, and would need terms in the GPU backward that no other method uses', why: 'the one-letter answer leaves little to regularise' },
  { id: 'Z10', point: 'optimiser', code: 'lr 2.5e-5, 20% warmup, linear decay, weight decay 1e-2, clip 1; trains the hypernetwork and every layer’s A and B', atlas: '10% warmup, cosine decay, weight decay 1e-2, clip 1, lr per preset (1e-3 to 1e-2)', codeRecipe: 'schedule, weight decay, clipping matched; the learning rate stays the preset’s: 2.5e-5 is for 3 epochs of a 7B model, and moves a 3-layer model nowhere in a few hundred steps', why: 'cosine decay is what the other methods use; one schedule for all' },
  { id: 'C1', point: 'router input', code: 'each adapted Linear routes on its own input: q/k/v share one router, gate/up one, o and down their own', atlas: 'one router per layer on RMSNorm(x), shared by every target', codeRecipe: 'matched: the code recipe adapts q and v, which share one router on RMSNorm(x) in the code too', why: 'with o and down adapted (atlas), one router per layer keeps one signature per layer and half the router parameters' },
  { id: 'C2', point: 'router', code: 'Linear(H + D → 256) → ReLU → Linear(256 → N); no noise; dropout 0', atlas: 'the same', codeRecipe: 'matched', why: '' },
  { id: 'C3', point: 'gating', code: 'softmax over N → keep top-k → softmax again over the kept values', atlas: 'Eq. 4: one softmax over the top-k logits', codeRecipe: 'matched', why: 'the paper’s equation: the double softmax squeezes the kept gates towards 1/k' },
  { id: 'C4', point: 'load balance', code: 'f_i = count_i/(T·k), P_i = mean of the final sparse gates over the batch’s tokens; N·Σ f_i·P_i, λ = 0.01, summed over routers', atlas: 'Mixtral’s form per sequence: f_i = count_i/T, P_i = mean of the dense softmax', codeRecipe: 'matched, per sequence rather than pooled over the batch: training here runs one sequence at a time; with one question per sequence the two differ only in how sequences of different lengths weigh', why: 'the dense softmax gives every expert a gradient, which keeps unused experts alive on small data' },
  { id: 'C5', point: 'experts', code: 'HydraLoRA: one shared A (0.01·randn), N B’s (zeros); r = 8, α = 16, s = α/r', atlas: 'the same, on q, v, o and down', codeRecipe: 'matched', why: 'targets: as Z8' },
  { id: 'C6', point: 'soft-routing ablation', code: 'still top-2, without renormalising', atlas: 'k = N, as the paper describes soft routing', codeRecipe: 'the paper’s k = N in both recipes: the code’s version is an ablation of something else (top-2 unnormalised), and would not test what the paper’s text says', why: 'k = N is what the paper calls soft routing' },
  { id: 'C7', point: 'e_d', code: 'Qwen3-Embedding-0.6B, mean over tokens, not normalised', atlas: 'the embedded USE-lite encoder (512-d), offline', codeRecipe: 'the encoder is the run’s (--encoder / the Train view’s picker): a 0.6B encoder cannot ship embedded for an offline app; a hub encoder can be chosen where the browser reaches the hub', why: 'works offline, in every browser' },
  { id: 'C8', point: 'profile text', code: '"You are a person from {country}, age group: …, gender …, education …, marital status …, religion …, ethnicity …, employment …" replaces the system prompt and is the text embedded for e_d', atlas: '"Age: 34. Country: Norway. …" (CUMA’s attribute order) in the user turn, or not at all (contrast preset), and embedded for e_d', codeRecipe: 'matched (our profiles have no marital status: "Unknown", as evaluate_wvs.py writes a missing field)', why: 'the contrast preset keeps the persona out of the prompt so that only e_d tells people apart: the mean collapse it shows is then the adapter’s' },
  { id: 'C9', point: 'question format', code: '"{question}? A. x B. y … You can only choose one option." in the chat template; loss on every token after the assistant marker', atlas: 'the question and one option per line, then "Answer:" (plain or opening the assistant turn); loss on the letter', codeRecipe: 'matched; the response is the letter alone, so the loss is on the letter in both', why: 'Compare shows the same prompt, so what the app scores is what was trained' },
  { id: 'C10', point: 'signature (Eq. 23)', code: 'mean gate over all of a country’s test profiles, tokens and layers; t-SNE perplexity 30', atlas: 'the same', codeRecipe: 'matched', why: '' },
  { id: 'C11', point: 'zero-shot (App. E.2)', code: 'profiles held out within every cluster; the cluster itself is still trained on', atlas: 'both: E.2’s held-out profiles and the whole-zone leave-out, labelled in Table 2', codeRecipe: 'matched', why: 'the whole-zone leave-out is the paper’s Table 2 (leave one cluster out); both are shown' },
  { id: 'E1', point: 'EMD (WorldValuesBench)', code: 'per question, W1 between the histograms of gold and argmax answers over all test participants, ÷ the scale’s range; mean over questions', atlas: 'the same (emdWvb), and emdCalibration: per answer, the model’s option distribution against P*', codeRecipe: 'matched', why: '' },
  { id: 'E2', point: 'other CUMA metrics', code: 'accuracy (argmax of the letter logits), macro-F1 over pooled letters, country macro-accuracy, σ_inequity', atlas: 'the same', codeRecipe: 'matched', why: '' },
];

/** The README's table, written from FIDELITY. */
export function fidelityMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| # | point | the authors’ code | `--recipe code` | `--recipe atlas` (ours) | why ours differs |', '| --- | --- | --- | --- | --- | --- |'];
  for (const p of FIDELITY) lines.push(`| ${p.id} | ${cell(p.point)} | ${cell(p.code)} | ${cell(p.codeRecipe)} | ${cell(p.atlas)} | ${cell(p.why || '—')} |`);
  return lines.join('\n') + '\n';
}
