// Honest progress: the time left from measured step times, a resumed run's log cut back to its checkpoint,
// divergence warnings kept, and a stopped run's bar staying where it stopped.
import { describe, it, expect } from 'vitest';
import { applyEvents, finishRun, newRun, progressOf, secondsPerStep, timeLeft, totalSteps } from '../../src/state/runlog';
import { experimentConfig, type Progress, type Results } from '../../src/experiments/runner';

const config = { ...experimentConfig('quick', { seed: 1 }), methods: ['persona-prompting', 'lora', 'cuma'] as const, steps: 10, loco: null } as unknown as ReturnType<typeof experimentConfig>;
const train = (method: string, step: number, ms: number): Progress => ({ method, phase: 'train', step, steps: 10, loss: 1, gradNorm: 1, lr: 1e-3, ms });

describe('run progress', () => {
  it('time left: steps left (persona prompting trains none) × the median measured step time', () => {
    expect(totalSteps(config)).toBe(20);
    let run = newRun('r', config, { encoderId: 'e', model: null });
    expect(timeLeft(run)).toBeNull();
    run = applyEvents(run, [{ method: 'lora', phase: 'prepare' }, train('lora', 1, 2000), train('lora', 2, 4000), train('lora', 3, 3000)]);
    expect(secondsPerStep(run)).toBe(3);
    // 7 steps of LoRA and 10 of CUMA at 3 s
    expect(timeLeft(run)).toEqual({ seconds: 51, perStep: 3, steps: 17 });
  });

  it('a resume cuts the log back to the checkpoint (those steps are trained again) and keeps warnings before it', () => {
    let run = newRun('r', config, { encoderId: 'e', model: null });
    run = applyEvents(run, [{ method: 'lora', phase: 'prepare' }, ...[1, 2, 3, 4, 5, 6, 7].map((s) => train('lora', s, 100)), { method: 'lora', phase: 'warning', step: 3, text: 'spike', lrScale: 1 }, { method: 'lora', phase: 'warning', step: 7, text: 'later', lrScale: 1 }]);
    run = applyEvents(run, [{ method: 'lora', phase: 'prepare' }, { method: 'lora', phase: 'resume', step: 5, steps: 10 }]);
    expect(run.train.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    expect(run.warnings!.map((w) => w.text)).toEqual(['spike']);
    expect(progressOf(run)).toMatchObject({ step: 5, phase: 'train', index: 2 });
  });

  it('a stopped run keeps its bar where it stopped (it does not jump to the end of the method)', () => {
    let run = newRun('r', config, { encoderId: 'e', model: null });
    run = applyEvents(run, [{ method: 'lora', phase: 'prepare' }, train('lora', 4, 100)]);
    const before = progressOf(run).fraction;
    const res = { config, rows: [], loco: [], stopped: true, model: { label: 'm', architecture: 'a', numParams: 1 }, encoder: { id: 'e', dim: 1 }, answerForm: 'letter', table: '', table2: '' } as unknown as Results;
    const stopped = finishRun(run, res);
    expect(stopped.status).toBe('stopped');
    expect(progressOf(stopped).fraction).toBe(before);
  });
});
