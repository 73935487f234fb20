// The worker's side of a training run: batching its progress for the page, and the pause / stop switches
// the runner polls between optimizer steps. No GPU here, so Node tests can drive it.
import { runLabel, type Progress } from '../experiments/runner';

/**
 * Collects progress events and hands them over in batches: at most one batch per `intervalMs`, except
 * that a method starting, evaluating or finishing goes out at once (those change what the page shows
 * and are rare). Every train step and probe metric is kept (they are the run's log); of the signature
 * events in one batch only the newest per method is kept (each replaces the last on the page anyway,
 * and they are the large ones).
 */
export interface EventBatcher {
  push(p: Progress): void;
  /** send what is waiting now */
  flush(): void;
  /** flush and stop the timer */
  close(): void;
}

export function createEventBatcher(send: (events: Progress[]) => void, intervalMs = 250): EventBatcher {
  let pending: Progress[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (!pending.length) return;
    const out = pending;
    pending = [];
    try {
      send(out);
    } catch {
      // the page went away; the run itself goes on
    }
  };
  return {
    push(p) {
      if (p.phase === 'signatures') {
        const i = pending.findIndex((q) => q.phase === 'signatures' && runLabel(q) === runLabel(p));
        if (i >= 0) pending.splice(i, 1);
      }
      pending.push(p);
      if (p.phase === 'prepare' || p.phase === 'evaluate' || p.phase === 'result' || p.phase === 'done') flush();
      else timer ??= setTimeout(flush, intervalMs);
    },
    flush,
    close() {
      flush();
    },
  };
}

/** Pause and stop, as RunHooks' whilePaused / shouldStop read them. */
export interface RunSwitches {
  pause(): void;
  resume(): void;
  stop(): void;
  readonly paused: boolean;
  readonly stopped: boolean;
  /** resolves at once unless paused; a paused run waits here until resume or stop (and reports 'paused' when it gets here) */
  whilePaused(): Promise<void>;
  shouldStop(): boolean;
}

export function createRunSwitches(onChange?: (state: 'running' | 'paused') => void): RunSwitches {
  let paused = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  let reported = false;
  const release = () => {
    if (reported) onChange?.('running');
    reported = false;
    wake?.();
    wake = null;
    gate = null;
  };
  return {
    pause() {
      if (paused || stopped) return;
      paused = true;
      gate = new Promise<void>((r) => (wake = r));
    },
    resume() {
      if (!paused) return;
      paused = false;
      release();
    },
    stop() {
      stopped = true;
      // a paused run must wake up to see the stop
      if (paused) {
        paused = false;
        reported = false;
        wake?.();
        wake = null;
        gate = null;
      }
    },
    get paused() {
      return paused;
    },
    get stopped() {
      return stopped;
    },
    whilePaused() {
      if (!gate) return Promise.resolve();
      // 'paused' is reported here, where the run actually waits (the step in flight has finished)
      if (!reported) {
        reported = true;
        onChange?.('paused');
      }
      return gate;
    },
    shouldStop() {
      return stopped;
    },
  };
}
