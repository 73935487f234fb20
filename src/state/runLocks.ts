// Which runs are training in some tab of this browser. A tab that trains a run holds a Web Lock named
// after it until the run has ended and its last record is written. The browser drops a tab's locks when
// the tab goes away, so a kept run that says 'running' while nobody holds its lock was cut off; one whose
// lock is held belongs to another tab and is left alone. Everything here also travels on a
// BroadcastChannel, so a second tab shows the first one's run as it goes, not as it was when it opened.
//
// Without the Locks API (old browsers, Node) nothing is known to be live: every unfinished run counts as
// cut off, as before this file existed.
import type { RunRecord } from './runlog';

const PREFIX = 'adapter-atlas-run:';
const CHANNEL = 'adapter-atlas-runs';

type Locks = Pick<LockManager, 'request' | 'query'>;

function defaultLocks(): Locks | null {
  const nav = (globalThis as { navigator?: { locks?: Locks } }).navigator;
  return nav?.locks ?? null;
}

/** Hold the run's lock; the returned function lets it go (call it once the run's last record is saved). */
export function holdRunLock(id: string, locks: Locks | null = defaultLocks()): () => void {
  if (!locks) return () => {};
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  void locks.request(PREFIX + id, { mode: 'exclusive' }, () => held).catch(() => {});
  return release;
}

/**
 * Ids of the runs some tab is training now; null when this browser cannot tell. Pending requests count too:
 * one is another tab waiting for a run's end (whenRunEnds), which it then settles itself.
 */
export async function liveRunIds(locks: Locks | null = defaultLocks()): Promise<Set<string> | null> {
  if (!locks) return null;
  try {
    const snap = await locks.query();
    const names = [...(snap.held ?? []), ...(snap.pending ?? [])].map((l) => l.name ?? '');
    return new Set(names.filter((n) => n.startsWith(PREFIX)).map((n) => n.slice(PREFIX.length)));
  } catch {
    return null;
  }
}

/**
 * Call `ended` once the tab training run `id` lets its lock go (it finished, or went away). Only then
 * can this tab take the lock; it gives it straight back.
 */
export function whenRunEnds(id: string, ended: () => void | Promise<void>, locks: Locks | null = defaultLocks()): void {
  if (!locks) return;
  void locks.request(PREFIX + id, { mode: 'exclusive' }, async () => {
    await ended();
  }).catch(() => {});
}

export type RunNews = { kind: 'run'; run: RunRecord } | { kind: 'deleted'; id: string };

/** The channel between this site's tabs (null where BroadcastChannel is missing). */
export function runChannel(onNews: (n: RunNews) => void): { post(n: RunNews): void; close(): void } | null {
  const BC = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
  if (!BC) return null;
  const ch = new BC(CHANNEL);
  // Node's channel would keep a test process alive
  (ch as { unref?: () => void }).unref?.();
  ch.onmessage = (e: MessageEvent<RunNews>) => onNews(e.data);
  return {
    post(n) {
      try {
        ch.postMessage(n);
      } catch {
        // a record that cannot be cloned only costs the other tabs a live view
      }
    },
    close: () => ch.close(),
  };
}
