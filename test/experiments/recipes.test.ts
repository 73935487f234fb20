// The two recipes: every point of the methods note is in the catalogue, the README's table is the
// catalogue's, and the code recipe sets what the authors' code does.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { codeQuestion, FIDELITY, fidelityMarkdown, recipeSettings } from '../../src/experiments/recipes';
import { methodSpec } from '../../src/experiments/runner';
import { loraScale } from '../../src/adapters/types';
import { profileSentence } from '../../src/condition/profile';

describe('recipes', () => {
  it("lists every point of the methods note's table, each with the code recipe's standing and, where ours differs, why", () => {
    let note = '';
    try {
      note = readFileSync('../shared/notes/methods.md', 'utf8');
    } catch {
      // a clone without ../shared: the points as the note had them when this was written
      note = ['Z1', 'Z2', 'Z3', 'Z4', 'Z5', 'Z6', 'Z7', 'Z8', 'Z9', 'Z10', 'C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9', 'C10', 'C11', 'E1', 'E2'].map((id) => `| ${id} |`).join('\n');
    }
    const ids = [...note.matchAll(/^\| ([ZCE]\d+) \|/gm)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThanOrEqual(23);
    expect(FIDELITY.map((p) => p.id)).toEqual(ids);
    for (const p of FIDELITY) {
      expect(p.codeRecipe.length, p.id).toBeGreaterThan(0);
      // an atlas form that differs from the code's carries its reason
      if (!p.atlas.startsWith('the same')) expect(p.why.length, `${p.id}: why ours differs`).toBeGreaterThan(10);
    }
  });

  it("the README's table is the catalogue's (npm run fidelity writes it)", () => {
    expect(readFileSync('README.md', 'utf8')).toContain(fidelityMarkdown());
  });

  it('the code recipe: q and v, rsLoRA for Zhyper (s = 5.66 at r = 8) and α/r = 2 for CUMA, double softmax, sparse load balance, smoothing 0.1 for Zhyper', () => {
    const enc = { id: 'e', dim: 1024 };
    const cfg = { targets: ['q', 'v', 'o', 'down'] as const, rank: 8 };
    const z = methodSpec('zhyper-diag', recipeSettings('code', 'zhyper-diag'), { ...cfg, targets: [...cfg.targets] }, enc);
    expect(z.targets).toEqual(['q', 'v']);
    expect(loraScale(z)).toBeCloseTo(16 / Math.sqrt(8), 12);
    expect(z.zhyper).toMatchObject({ trunk: 'code', condScale: 'sqrt-d' });
    const c = methodSpec('cuma', recipeSettings('code', 'cuma'), { ...cfg, targets: [...cfg.targets] }, enc);
    expect(loraScale(c)).toBe(2);
    expect(c.cuma).toMatchObject({ gating: 'double', experts: 8, topK: 2, sharedA: true, routerHidden: 256 });
    expect(recipeSettings('code', 'cuma')).toMatchObject({ loadBalance: 'sparse', labelSmoothing: 0, prompt: 'code', centre: false });
    expect(recipeSettings('code', 'zhyper-square')).toMatchObject({ labelSmoothing: 0.1, schedule: { warmup: 0.2, decay: 'linear' } });
    // the atlas recipe keeps the config's targets and one scale for all
    const a = methodSpec('zhyper-diag', recipeSettings('atlas', 'zhyper-diag'), { ...cfg, targets: [...cfg.targets] }, enc);
    expect(a.targets).toEqual(['q', 'v', 'o', 'down']);
    expect(loraScale(a)).toBe(2);
    expect(recipeSettings('atlas', 'cuma')).toMatchObject({ gating: 'eq4', loadBalance: 'dense' });
  });

  it("the code's prompt: the profile sentence (C8) and the one-line question (C9)", () => {
    expect(profileSentence({ country: 'Norway', age: 34, gender: 'Female', religion: 'No religion' })).toBe(
      'You are a person from Norway, age group: 25-34 years old, gender: Female, education: Unknown, marital status: Unknown, religion: No religion, ethnicity: Unknown, employment: Unknown.',
    );
    expect(profileSentence({ country: 'Nigeria', age: 70 })).toMatch(/age group: 65 and over,/);
    expect(codeQuestion('How important is religion in your life?', ['Very important', 'Not at all important'])).toBe(
      'How important is religion in your life? A. Very important B. Not at all important. You can only choose one option.',
    );
  });
});
