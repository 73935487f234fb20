// The hub encoder's whole path (transformers.js pipeline → tokenizer.json → onnxruntime → pooling)
// on a tiny ONNX encoder this project writes, offline, checked against an independent forward pass.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { makeTinyEncoder, writeTinyEncoder, type TinyEncoder } from '../../scripts/make-test-encoder';
import { createHubEncoder, poolingFor } from '../../src/condition/hub';
import { createEncoder, ENCODERS, DEFAULT_ENCODER_ID } from '../../src/condition/encoder';
import { linearize } from '../../src/condition/profile';
import { l2normalize, meanPool, tinyForward } from './tiny-reference';

const HUB_IDS = ENCODERS.map((e) => e.id).filter((id) => id !== DEFAULT_ENCODER_ID);
const TEXTS = [
  linearize({ age: 34, gender: 'Female', country: 'Norway', religion: 'Protestant' }),
  'Hello world',
  linearize({ age: 71, gender: 'Male', country: 'Nigeria', education: "Master's degree", employment: 'Retired', freeText: 'Enjoys hiking and music' }),
];

let root: string;
let model: TinyEncoder;

/** WordPiece as BERT does it (lowercase, split at spaces and punctuation, greedy longest match). */
function wordpiece(text: string, vocab: string[]): number[] {
  const ids = [vocab.indexOf('[CLS]')];
  for (const word of text.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? []) {
    const pieces: number[] = [];
    for (let start = 0; start < word.length; ) {
      let end = word.length;
      let id = -1;
      for (; end > start; end--) {
        id = vocab.indexOf((start > 0 ? '##' : '') + word.slice(start, end));
        if (id >= 0) break;
      }
      if (id < 0) {
        pieces.splice(0, pieces.length, vocab.indexOf('[UNK]'));
        break;
      }
      pieces.push(id);
      start = end;
    }
    ids.push(...pieces);
  }
  ids.push(vocab.indexOf('[SEP]'));
  return ids;
}

/** last_hidden_state rows of each text, unpadded */
function reference(text: string): number[][] {
  const ids = wordpiece(text, model.vocab);
  return tinyForward(model, ids, ids.map(() => 1));
}

function expectClose(got: Float32Array, want: number[], tol = 2e-5) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(tol);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'atlas-encoders-'));
  model = writeTinyEncoder(join(root, 'tiny-bert'));
  // The same tiny model under the registry's hub ids, so their pooling rules run exactly as for the
  // real downloads.
  for (const id of HUB_IDS) writeTinyEncoder(join(root, id));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tiny ONNX encoder through the transformers.js pipeline', () => {
  let extractor: FeatureExtractionPipeline;
  beforeAll(async () => {
    await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false }); // sets env for the raw pipeline too
    extractor = await pipeline('feature-extraction', 'tiny-bert', { local_files_only: true });
  });

  it('is deterministic: the generator writes the same weights for the same seed', () => {
    const again = makeTinyEncoder();
    expect(again.wordEmb).toEqual(model.wordEmb);
    expect(again.wq).toEqual(model.wq);
    expect(makeTinyEncoder(8).wq).not.toEqual(model.wq);
  });

  it('tokenizes with the tokenizer.json as WordPiece does', () => {
    for (const t of TEXTS) {
      const ids = extractor.tokenizer(t).input_ids.tolist()[0].map(Number);
      expect(ids).toEqual(wordpiece(t, model.vocab));
      expect(ids).not.toContain(model.vocab.indexOf('[UNK]'));
    }
    expect(wordpiece('Age: 34.', model.vocab).map((i) => model.vocab[i])).toEqual(['[CLS]', 'age', ':', '3', '##4', '.', '[SEP]']);
  });

  it('gives every token the hidden state the reference forward computes, padding masked out', async () => {
    const out = await extractor(TEXTS, { pooling: 'none' });
    const [B, T, H] = out.dims;
    expect([B, H]).toEqual([TEXTS.length, model.hidden]);
    const data = out.data as Float32Array;
    TEXTS.forEach((t, b) => {
      const want = reference(t);
      expect(want.length).toBeLessThanOrEqual(T);
      want.forEach((row, pos) => expectClose(data.slice((b * T + pos) * H, (b * T + pos + 1) * H), row));
    });
  });

  it('mean pooling averages the real tokens only, batched or not', async () => {
    const enc = await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false, pooling: 'mean', normalize: false });
    expect(enc.dim).toBe(model.hidden);
    const batch = await enc.embed(TEXTS);
    TEXTS.forEach((t, i) => {
      const rows = reference(t);
      expectClose(batch[i], meanPool(rows, rows.map(() => 1)));
    });
    // a short text next to a long one (lots of padding) gets the same vector as alone
    expectClose((await enc.embed([TEXTS[1]]))[0], Array.from(batch[1]));
  });

  it('cls pooling takes the first token; normalize makes it unit length', async () => {
    const enc = await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false, pooling: 'cls', normalize: true });
    const vs = await enc.embed(TEXTS);
    TEXTS.forEach((t, i) => {
      expectClose(vs[i], l2normalize(reference(t)[0]));
      expect(Math.hypot(...vs[i])).toBeCloseTo(1, 5);
    });
  });

  it("last-token pooling takes each text's own last token even in a batch of different lengths", async () => {
    const enc = await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false, pooling: 'last_token', normalize: false });
    const vs = await enc.embed(TEXTS);
    TEXTS.forEach((t, i) => expectClose(vs[i], reference(t).at(-1)!));
    // why the encoder pools by itself: with right padding the pipeline's last column is a pad for
    // the shorter texts
    const padded = await extractor(TEXTS, { pooling: 'last_token' });
    const H = model.hidden;
    const short = (padded.data as Float32Array).slice(1 * H, 2 * H);
    expect(Math.max(...short.map((x, h) => Math.abs(x - vs[1][h])))).toBeGreaterThan(1e-3);
  });

  it('pools fp16 exports in f32 (the pipeline would average their raw 16-bit patterns)', async () => {
    const mean = await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false, dtype: 'fp16' });
    expect(mean.id).toBe('tiny-bert#fp16');
    const vs = await mean.embed(TEXTS);
    TEXTS.forEach((t, i) => {
      const rows = reference(t);
      expectClose(vs[i], l2normalize(meanPool(rows, rows.map(() => 1))), 2e-3);
    });
    const last = await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false, dtype: 'fp16', pooling: 'last_token', normalize: false });
    const ls = await last.embed(TEXTS);
    TEXTS.forEach((t, i) => expectClose(ls[i], reference(t).at(-1)!, 2e-3));
  });

  it('gives an empty list for no texts, and ids that name non-default pooling', async () => {
    const enc = await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false });
    expect(enc.id).toBe('tiny-bert');
    expect(await enc.embed([])).toEqual([]);
    const cls = await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false, pooling: 'cls' });
    expect(cls.id).toBe('tiny-bert#cls+norm');
    const q = await createHubEncoder('tiny-bert', { localModelPath: root, allowRemote: false, dtype: 'fp32' });
    expect(q.id).toBe('tiny-bert#fp32');
  });

  it('fails clearly, without a download, when the model is not there and remote is off', async () => {
    await expect(createHubEncoder('nobody/missing-model', { localModelPath: root, allowRemote: false })).rejects.toThrow(/not found locally.*nobody\/missing-model/);
  });
});

describe('registry hub ids and their pooling', () => {
  it('knows each family pooling from its model card', () => {
    expect(poolingFor('Alibaba-NLP/gte-base-en-v1.5')).toEqual({ pooling: 'cls', normalize: true });
    expect(poolingFor('Xenova/all-MiniLM-L6-v2')).toEqual({ pooling: 'mean', normalize: true });
    expect(poolingFor('onnx-community/Qwen3-Embedding-0.6B-ONNX')).toEqual({ pooling: 'last_token', normalize: true });
    expect(poolingFor('thenlper/gte-small')).toEqual({ pooling: 'mean', normalize: true });
    expect(poolingFor('someone/unknown-encoder')).toEqual({ pooling: 'mean', normalize: true });
    expect(HUB_IDS).toEqual(['Alibaba-NLP/gte-base-en-v1.5', 'Xenova/all-MiniLM-L6-v2', 'onnx-community/Qwen3-Embedding-0.6B-ONNX']);
  });

  it('loads each registry id from a local folder and pools it as the table says', async () => {
    const want: Record<string, (rows: number[][]) => number[]> = {
      'Alibaba-NLP/gte-base-en-v1.5': (rows) => l2normalize(rows[0]),
      'Xenova/all-MiniLM-L6-v2': (rows) => l2normalize(meanPool(rows, rows.map(() => 1))),
      'onnx-community/Qwen3-Embedding-0.6B-ONNX': (rows) => l2normalize(rows.at(-1)!),
    };
    for (const id of HUB_IDS) {
      const enc = await createEncoder(id, { hub: { localModelPath: root, allowRemote: false } });
      expect(enc.id).toBe(id);
      expect(enc.dim).toBe(model.hidden);
      const vs = await enc.embed(TEXTS);
      TEXTS.forEach((t, i) => expectClose(vs[i], want[id](reference(t))));
      enc.dispose?.();
    }
  });
});
