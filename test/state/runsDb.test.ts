// Runs and adapters in IndexedDB (fake-indexeddb in Node): kept, listed newest first, deleted with their
// adapters; runs a reload cut off come back 'interrupted'; a browser that refuses storage gets a message
// that says what it means for the user.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, it, expect } from 'vitest';
import { openRunStore, storageMessage } from '../../src/state/runsDb';
import { buildConfig, defaultForm, newRun } from '../../src/state/runlog';

const config = buildConfig({ ...defaultForm(), world: 'tiny' });
const run = (id: string, now: number, status: 'running' | 'done' | 'paused' = 'done') => ({ ...newRun(id, config, { encoderId: 'e', model: null, now }), status });

describe('the run store', () => {
  it('keeps runs and adapters, newest first, and deletes a run with its adapters', async () => {
    const f = new IDBFactory();
    const db = await openRunStore(f);
    await db.putRun(run('a', 1));
    await db.putRun(run('b', 2));
    await db.putAdapter({ runId: 'a', method: 'lora', name: 'lora-x', bytes: new Uint8Array([1, 2, 3]), createdAt: 1 });
    await db.putAdapter({ runId: 'a', method: 'zhyper-diag', name: 'z-x', bytes: new Uint8Array([4]), createdAt: 1 });
    await db.putAdapter({ runId: 'b', method: 'lora', name: 'lora-y', bytes: new Uint8Array([5]), createdAt: 2 });
    expect((await db.listRuns()).map((r) => r.id)).toEqual(['b', 'a']);
    expect(Array.from((await db.getAdapter('a', 'lora'))!.bytes)).toEqual([1, 2, 3]);
    db.close();

    // a second open (a reload) sees the same
    const again = await openRunStore(f);
    await again.deleteRun('a');
    expect((await again.listRuns()).map((r) => r.id)).toEqual(['b']);
    expect(await again.getAdapter('a', 'lora')).toBeUndefined();
    expect(await again.getAdapter('a', 'zhyper-diag')).toBeUndefined();
    expect(await again.getAdapter('b', 'lora')).toBeDefined();
    again.close();
  });

  it('marks runs left running or paused as interrupted, keeping their log', async () => {
    const f = new IDBFactory();
    const db = await openRunStore(f);
    const live = { ...run('live', 5, 'running'), train: [{ method: 'lora', step: 1, loss: 2, gradNorm: 1, lr: 1e-3 }] };
    await db.putRun(live);
    await db.putRun(run('held', 4, 'paused'));
    await db.putRun(run('old', 3, 'done'));
    db.close();
    const after = await openRunStore(f);
    const runs = await after.recover();
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      ['live', 'interrupted'],
      ['held', 'interrupted'],
      ['old', 'done'],
    ]);
    expect(runs[0].train).toHaveLength(1);
    expect((await after.listRuns())[0].status).toBe('interrupted');
    after.close();
  });

  it('leaves alone the runs another tab is training now', async () => {
    const f = new IDBFactory();
    const db = await openRunStore(f);
    await db.putRun(run('mine', 5, 'running'));
    await db.putRun(run('theirs', 4, 'paused'));
    const runs = await db.recover(new Set(['theirs']));
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      ['mine', 'interrupted'],
      ['theirs', 'paused'],
    ]);
    expect((await db.getRun('theirs'))?.status).toBe('paused');
    expect((await db.getRun('mine'))?.status).toBe('interrupted');
    db.close();
  });

  it('fails clearly where the browser refuses storage', async () => {
    const refusing = { open: () => { throw Object.assign(new Error('The user denied permission to access the database.'), { name: 'SecurityError' }); } } as unknown as IDBFactory;
    const e = await openRunStore(refusing).catch((x: unknown) => x);
    expect(storageMessage(e)).toMatch(/does not let the app keep data \(private window/);
    expect(storageMessage({ name: 'QuotaExceededError', message: 'full' })).toMatch(/storage for this site is full.*goes on in memory/);
    expect(storageMessage(new Error('odd'))).toMatch(/could not be saved.*in memory/);
  });
});
