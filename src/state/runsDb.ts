// Runs and trained adapters kept in IndexedDB (through `idb`), so they survive a reload. Every call
// can fail (private mode, storage full, a browser that blocks storage): callers catch, tell the user
// with storageMessage(), and go on in memory.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { interruptRun, type RunRecord } from './runlog';
import type { ExperimentMethod } from '../experiments/runner';

export const DB_NAME = 'adapter-atlas';
const DB_VERSION = 2;

export interface StoredAdapter {
  runId: string;
  method: ExperimentMethod;
  name: string;
  bytes: Uint8Array;
  createdAt: number;
}

/** A run's latest checkpoint (experiments/checkpoint.ts): what a resume after a reload or a lost device starts from. */
export interface StoredCheckpoint {
  runId: string;
  bytes: Uint8Array;
  savedAt: number;
  /** the run in progress and its step, for the Resume button's words */
  at: { key: string; step: number } | null;
  done: number;
}

interface AtlasDb extends DBSchema {
  runs: { key: string; value: RunRecord; indexes: { byCreated: number } };
  adapters: { key: [string, string]; value: StoredAdapter; indexes: { byRun: string } };
  checkpoints: { key: string; value: StoredCheckpoint };
}

export interface RunStore {
  listRuns(): Promise<RunRecord[]>;
  putRun(run: RunRecord): Promise<void>;
  deleteRun(id: string): Promise<void>;
  putAdapter(a: StoredAdapter): Promise<void>;
  getAdapter(runId: string, method: string): Promise<StoredAdapter | undefined>;
  /**
   * Runs left 'running' or 'paused' by a page that went away become 'interrupted'; those in `live` (trained
   * by another open tab now) stay as they are. Returns them all, newest first.
   */
  recover(live?: ReadonlySet<string> | null): Promise<RunRecord[]>;
  getRun(id: string): Promise<RunRecord | undefined>;
  putCheckpoint(c: StoredCheckpoint): Promise<void>;
  getCheckpoint(runId: string): Promise<StoredCheckpoint | undefined>;
  close(): void;
}

/** Open (or create) the database. `factory` is for tests (fake-indexeddb); the browser's by default. */
export async function openRunStore(factory?: IDBFactory): Promise<RunStore> {
  const g = globalThis as { indexedDB?: IDBFactory };
  const idbFactory = factory ?? g.indexedDB;
  if (!idbFactory) throw Object.assign(new Error('this browser offers no IndexedDB'), { name: 'StorageUnavailableError' });
  // idb opens through the global indexedDB; a test factory is put there for the duration of the open
  const prev = g.indexedDB;
  if (factory) g.indexedDB = factory;
  let db: IDBPDatabase<AtlasDb>;
  try {
    db = await openDB<AtlasDb>(DB_NAME, DB_VERSION, {
      upgrade(d, oldVersion) {
        if (oldVersion < 1) {
          const runs = d.createObjectStore('runs', { keyPath: 'id' });
          runs.createIndex('byCreated', 'createdAt');
          const ads = d.createObjectStore('adapters', { keyPath: ['runId', 'method'] });
          ads.createIndex('byRun', 'runId');
        }
        if (oldVersion < 2) d.createObjectStore('checkpoints', { keyPath: 'runId' });
      },
      blocking() {
        // a newer version of the app opened the database in another tab: let it upgrade
        db.close();
      },
    });
  } finally {
    if (factory) g.indexedDB = prev;
  }
  const listRuns = async () => (await db.getAllFromIndex('runs', 'byCreated')).reverse();
  return {
    listRuns,
    async putRun(run) {
      await db.put('runs', run);
    },
    async deleteRun(id) {
      const tx = db.transaction(['runs', 'adapters', 'checkpoints'], 'readwrite');
      await tx.objectStore('runs').delete(id);
      await tx.objectStore('checkpoints').delete(id);
      const ads = tx.objectStore('adapters');
      for (const key of await ads.index('byRun').getAllKeys(id)) await ads.delete(key);
      await tx.done;
    },
    async putAdapter(a) {
      await db.put('adapters', a);
    },
    getAdapter(runId, method) {
      return db.get('adapters', [runId, method]);
    },
    getRun(id) {
      return db.get('runs', id);
    },
    async putCheckpoint(c) {
      await db.put('checkpoints', c);
    },
    getCheckpoint(runId) {
      return db.get('checkpoints', runId);
    },
    async recover(live) {
      const runs = await listRuns();
      const out: RunRecord[] = [];
      for (const r of runs) {
        const fixed = live?.has(r.id) ? r : interruptRun(r);
        if (fixed !== r) await db.put('runs', fixed);
        out.push(fixed);
      }
      return out;
    },
    close() {
      db.close();
    },
  };
}

/** What to tell the user when storage failed, by the error's name. */
export function storageMessage(e: unknown): string {
  const err = e as { name?: string; message?: string } | null;
  const name = err?.name ?? '';
  const detail = err?.message ? ` (${err.message})` : '';
  if (name === 'QuotaExceededError')
    return `The browser's storage for this site is full${detail}. This run goes on in memory but will not survive a reload: export its results as JSON, or delete old runs to make room.`;
  if (name === 'StorageUnavailableError' || name === 'SecurityError' || name === 'InvalidStateError' || name === 'UnknownError')
    return `This browser does not let the app keep data (private window, or site storage turned off)${detail}. Runs work in memory but are gone after a reload: export results as JSON to keep them.`;
  return `Runs could not be saved in the browser's storage${detail}. This run goes on in memory; export its results as JSON to keep them.`;
}
