// The Train view's store with the worker replaced by a fake that plays a run's messages: a run fills in
// as progress arrives, keeps its trained adapters, and is found again after a "reload" (fresh modules
// over the same IndexedDB); a run cut off by a reload comes back 'interrupted' with what it had; a
// browser that refuses storage gets one clear message and the run still works in memory.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, it, expect, vi, beforeEach } from 'vitest';
import type { Progress, Results } from '../../src/experiments/runner';
import type { TrainCallback, TrainRequest } from '../../src/worker/protocol';
import { broadcastBus, FakeLocks } from '../helpers/tabs';

type Script = (req: TrainRequest, send: TrainCallback) => Promise<{ ok: true; value: { results: Results; adapterRestored: boolean } } | { ok: false; error: { name: string; message: string } }>;
const fake = { script: null as Script | null, paused: 0, resumed: 0, stopped: 0 };

vi.mock('../../src/worker/client', () => ({
  callback: <F>(f: F) => f,
  onWorkerCrash: () => () => {},
  getClient: () => ({
    startTraining: (req: TrainRequest, send: TrainCallback) => fake.script!(req, send),
    pauseTraining: async () => void fake.paused++,
    resumeTraining: async () => void fake.resumed++,
    stopTraining: async () => void fake.stopped++,
  }),
}));

// the form persists through zustand to localStorage, which Node lacks
const mem = new Map<string, string>();
globalThis.localStorage = {
  getItem: (k: string) => mem.get(k) ?? null,
  setItem: (k: string, v: string) => void mem.set(k, v),
  removeItem: (k: string) => void mem.delete(k),
  clear: () => mem.clear(),
  key: (i: number) => [...mem.keys()][i] ?? null,
  get length() {
    return mem.size;
  },
} as Storage;

const summary = { label: 'tiny', architecture: 'LlamaForCausalLM', numParams: 1000, numLayers: 2, hiddenSize: 8, vocabSize: 10, hasChatTemplate: false, gpuBytes: 0, weights: 'f16' as const, weightFormat: 'f16' as const };

async function freshStores() {
  vi.resetModules();
  const { useApp } = await import('../../src/state/store');
  const { useTrain } = await import('../../src/state/train');
  useApp.setState({ modelStatus: 'ready', summary });
  return { useApp, useTrain };
}

const row = (method: 'lora' | 'zhyper-diag') => ({ method, label: method, acc: 0.5, macroF1: 0.5, emdWvb: 0.1, emdCalibration: 0.1, entropy: 1, macroAcc: 0.5, sigmaInequity: 0, nCountries: 1, predictions: [], paramsPct: 1, trainableParams: 10, wallSeconds: 1, nTrain: 8, nTest: 4, losses: [1, 0.9] });

function finished(req: TrainRequest): Results {
  return { config: req.config, model: { label: 'tiny', architecture: 'LlamaForCausalLM', numParams: 1000 }, encoder: { id: req.encoderId, dim: 512 }, answerForm: 'letter', rows: [row('lora'), row('zhyper-diag')], table: '', loco: [], table2: '', stopped: false };
}

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
  globalThis.BroadcastChannel = broadcastBus(); // tabs of one test hear each other, never an earlier test's
  fake.script = null;
});

const until = async (f: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!f()) throw new Error(`never happened: ${what}`);
};

describe('the Train store', () => {
  it('runs, keeps the trained adapter, and finds the run again after a reload', async () => {
    const { useTrain } = await freshStores();
    await useTrain.getState().init();
    useTrain.getState().setForm({ methods: ['lora', 'zhyper-diag'], world: 'tiny', steps: 2, batchSize: 2 });
    let seen: TrainRequest | null = null;
    fake.script = async (req, send) => {
      seen = req;
      const ev: Progress[] = [{ method: 'lora', phase: 'prepare' }, { method: 'lora', phase: 'train', step: 1, steps: 2, loss: 1.2, gradNorm: 1, lr: 1e-3 }];
      send({ kind: 'progress', events: ev });
      expect(useTrain.getState().control).toBe('running');
      send({ kind: 'adapter', method: 'lora', name: 'lora-tiny', bytes: new Uint8Array([7, 8, 9]) });
      send({ kind: 'progress', events: [{ method: 'lora', phase: 'result', row: row('lora') }] });
      return { ok: true, value: { results: finished(req), adapterRestored: true } };
    };
    await useTrain.getState().start();
    expect(seen!.config.methods).toEqual(['lora', 'zhyper-diag']);
    expect(seen!.encoderId).toBe('use-lite-512');
    const s = useTrain.getState();
    expect(s.control).toBe('idle');
    const run = s.runs[0];
    expect(run.status).toBe('done');
    expect(run.rows).toHaveLength(2);
    expect(run.train).toHaveLength(1);
    expect(run.adapters).toEqual([{ method: 'lora', name: 'lora-tiny', bytes: 3 }]);
    expect(JSON.parse(s.exportJson()!).atlas.status).toBe('done');
    expect(s.exportCsv(1)!.split('\n')[1]).toMatch(/^lora,/);
    await new Promise((r) => setTimeout(r, 50)); // the last save

    const after = await freshStores();
    await after.useTrain.getState().init();
    const kept = after.useTrain.getState().runs;
    expect(kept.map((r) => [r.id, r.status, r.rows.length])).toEqual([[run.id, 'done', 2]]);
    expect(Array.from((await after.useTrain.getState().adapterBytes(run.id, 'lora'))!)).toEqual([7, 8, 9]);
    await after.useTrain.getState().deleteRun(run.id);
    expect(after.useTrain.getState().runs).toEqual([]);
  });

  it('a run cut off by a reload comes back interrupted with its steps', async () => {
    const { useTrain } = await freshStores();
    await useTrain.getState().init();
    useTrain.getState().setForm({ methods: ['lora'], world: 'tiny', steps: 5 });
    fake.script = (_req, send) => {
      send({ kind: 'progress', events: [{ method: 'lora', phase: 'prepare' }, { method: 'lora', phase: 'train', step: 1, steps: 5, loss: 1.2, gradNorm: 1, lr: 1e-3 }] });
      send({ kind: 'state', state: 'paused' }); // written at once
      return new Promise(() => {}); // the page goes away before the run ends
    };
    void useTrain.getState().start();
    await new Promise((r) => setTimeout(r, 50));
    expect(useTrain.getState().control).toBe('paused');
    useTrain.getState().resume();
    expect(fake.resumed).toBe(1);

    const after = await freshStores();
    await after.useTrain.getState().init();
    const [r] = after.useTrain.getState().runs;
    expect(r.status).toBe('interrupted');
    expect(r.train).toHaveLength(1);
    expect(after.useTrain.getState().currentId).toBe(r.id);
  });

  it('a run another tab is training is not marked interrupted: the second tab follows it, and sees it end or its tab close', async () => {
    const locks = new FakeLocks();
    const g = globalThis as { navigator?: unknown };
    g.navigator = { locks };
    try {
      const tabA = await freshStores();
      await tabA.useTrain.getState().init();
      tabA.useTrain.getState().setForm({ methods: ['lora'], world: 'tiny', steps: 5 });
      let sendA!: TrainCallback;
      let finishA!: () => void;
      fake.script = (req, send) => {
        sendA = send;
        send({ kind: 'progress', events: [{ method: 'lora', phase: 'prepare' }, { method: 'lora', phase: 'train', step: 1, steps: 5, loss: 1.2, gradNorm: 1, lr: 1e-3 }] });
        send({ kind: 'state', state: 'paused' });
        return new Promise((res) => (finishA = () => res({ ok: true, value: { results: finished(req), adapterRestored: true } })));
      };
      const runningA = tabA.useTrain.getState().start();
      await until(() => tabA.useTrain.getState().control === 'paused', 'tab A paused');
      const id = tabA.useTrain.getState().activeId!;
      expect(locks.heldNames()).toEqual([`adapter-atlas-run:${id}`]);

      // tab B opens: the run is A's, paused, not cut off
      const tabB = await freshStores();
      await tabB.useTrain.getState().init();
      const seenByB = () => tabB.useTrain.getState().runs.find((r) => r.id === id);
      expect(seenByB()?.status).toBe('paused');
      expect(seenByB()?.train).toHaveLength(1);
      const { runElsewhere } = await import('../../src/state/train');
      expect(runElsewhere(tabB.useTrain.getState(), seenByB())).toBe(true);
      expect(runElsewhere(tabA.useTrain.getState(), tabA.useTrain.getState().runs[0])).toBe(false);
      // B cannot delete it under A
      await tabB.useTrain.getState().deleteRun(id);
      expect(seenByB()).toBeDefined();

      // A goes on: B hears it
      sendA({ kind: 'state', state: 'running' });
      await until(() => seenByB()?.status === 'running', 'B sees A running');
      // A finishes: B shows the finished run, and the lock is free
      finishA();
      await runningA;
      await until(() => seenByB()?.status === 'done', 'B sees A done');
      expect(seenByB()?.rows).toHaveLength(2);
      await until(() => locks.heldNames().length === 0, 'locks free');

      // a second run in A, which B hears of after it opened; then A's tab closes mid-run
      fake.script = (_req, send) => {
        send({ kind: 'progress', events: [{ method: 'lora', phase: 'prepare' }, { method: 'lora', phase: 'train', step: 1, steps: 5, loss: 1.1, gradNorm: 1, lr: 1e-3 }] });
        send({ kind: 'state', state: 'running' });
        return new Promise(() => {});
      };
      void tabA.useTrain.getState().start();
      await until(() => tabA.useTrain.getState().control === 'running', 'A runs again');
      const id2 = tabA.useTrain.getState().activeId!;
      await until(() => tabB.useTrain.getState().runs.some((r) => r.id === id2 && r.status === 'running'), 'B sees the second run');
      expect(tabB.useTrain.getState().runs.map((r) => r.id)).toEqual([id2, id]);
      locks.drop(`adapter-atlas-run:${id2}`);
      await until(() => tabB.useTrain.getState().runs.find((r) => r.id === id2)?.status === 'interrupted', 'B marks it interrupted');

      // a third tab reads what B wrote
      const tabC = await freshStores();
      await tabC.useTrain.getState().init();
      expect(tabC.useTrain.getState().runs.map((r) => [r.id, r.status])).toEqual([
        [id2, 'interrupted'],
        [id, 'done'],
      ]);
    } finally {
      delete g.navigator;
    }
  });

  it('a failed run keeps its rows and says why', async () => {
    const { useTrain } = await freshStores();
    await useTrain.getState().init();
    useTrain.getState().setForm({ methods: ['lora', 'cuma'], world: 'tiny', steps: 2 });
    fake.script = async (_req, send) => {
      send({ kind: 'progress', events: [{ method: 'lora', phase: 'result', row: row('lora') }] });
      return { ok: false, error: { name: 'Error', message: 'training CUMA adapters is not supported yet' } };
    };
    await useTrain.getState().start();
    const s = useTrain.getState();
    expect(s.runs[0]).toMatchObject({ status: 'failed', error: { message: /not supported yet/ } });
    expect(s.runs[0].rows).toHaveLength(1);
    expect(s.errors.run?.message).toMatch(/not supported yet/);
  });

  it('refuses to start without a model, or with a bad form, saying why', async () => {
    const { useApp, useTrain } = await freshStores();
    useTrain.getState().setForm({ steps: 0 });
    await useTrain.getState().start();
    expect(useTrain.getState().errors.run).toMatchObject({ name: 'FormError', message: /Steps/ });
    useTrain.getState().setForm({ steps: 2 });
    useApp.setState({ modelStatus: 'loading', summary: null });
    await useTrain.getState().start();
    expect(useTrain.getState().errors.run?.message).toMatch(/still loading/);
    expect(useTrain.getState().runs).toEqual([]);
  });

  it('imports a results file, and refuses a bad one keeping the list', async () => {
    const { useTrain } = await freshStores();
    await useTrain.getState().init();
    await useTrain.getState().importFile(new File(['{"nope": true}'], 'bad.json'));
    expect(useTrain.getState().errors.import?.message).toMatch(/bad\.json is not a results file/);
    expect(useTrain.getState().runs).toEqual([]);
    const { buildConfig, defaultForm } = await import('../../src/state/runlog');
    const good = finished({ config: buildConfig(defaultForm()), encoderId: 'e', metricsEvery: 0, signaturesEvery: 0, probeSize: 4 });
    await useTrain.getState().importFile(new File([JSON.stringify(good)], 'results.json'));
    expect(useTrain.getState().runs.map((r) => [r.status, r.source])).toEqual([['imported', 'results.json']]);
  });

  it('where storage is refused: one message, and the run works in memory', async () => {
    globalThis.indexedDB = { open: () => { throw Object.assign(new Error('denied'), { name: 'SecurityError' }); } } as unknown as IDBFactory;
    const { useTrain } = await freshStores();
    await useTrain.getState().init();
    expect(useTrain.getState().storageError).toMatch(/private window/);
    expect(useTrain.getState().loaded).toBe(true);
    useTrain.getState().setForm({ methods: ['lora'], world: 'tiny', steps: 2 });
    fake.script = async (req, send) => {
      send({ kind: 'adapter', method: 'lora', name: 'lora-tiny', bytes: new Uint8Array([1]) });
      return { ok: true, value: { results: finished(req), adapterRestored: true } };
    };
    await useTrain.getState().start();
    expect(useTrain.getState().runs[0].status).toBe('done');
    expect(await useTrain.getState().adapterBytes(useTrain.getState().runs[0].id, 'lora')).toEqual(new Uint8Array([1]));
  });
});
