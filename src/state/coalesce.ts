// Keeping the worker's queue short while sliders move.
//
// lane():      one worker call at a time (comlink calls would otherwise interleave inside the worker:
//              a score could set a condition between another score's condition and its forward pass).
// coalescer(): at most one run in flight and at most one pending; a newer request replaces the
//              pending one, so dragging a slider never queues a backlog of scores.

export interface Lane {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** how many runs are waiting or running */
  readonly depth: number;
}

export function createLane(): Lane {
  let tail: Promise<unknown> = Promise.resolve();
  let depth = 0;
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      depth++;
      const p = tail.then(fn, fn);
      tail = p.then(
        () => {
          depth--;
        },
        () => {
          depth--;
        },
      );
      return p;
    },
    get depth() {
      return depth;
    },
  };
}

export interface Coalescer<T> {
  /** ask for a run with this argument; resolves when a run that includes it (this or a newer one) is done */
  push(arg: T): Promise<void>;
  /** a run is in flight */
  readonly busy: boolean;
  /** a run is waiting for the one in flight */
  readonly pending: boolean;
}

export function createCoalescer<T>(run: (arg: T) => Promise<void>): Coalescer<T> {
  let inflight: Promise<void> | null = null;
  let next: { arg: T } | null = null;
  let waiters: (() => void)[] = [];

  async function loop(first: T): Promise<void> {
    let job: { arg: T } | null = { arg: first };
    while (job) {
      const done = waiters;
      waiters = [];
      try {
        await run(job.arg);
      } catch (e) {
        // run reports the errors it expects; anything else goes to the console, and the loop goes on
        console.error('coalesced run failed:', e);
      }
      for (const w of done) w();
      job = next;
      next = null;
    }
    inflight = null;
  }

  return {
    push(arg: T): Promise<void> {
      const p = new Promise<void>((resolve) => waiters.push(resolve));
      if (inflight) next = { arg };
      else inflight = loop(arg);
      return p;
    },
    get busy() {
      return inflight !== null;
    },
    get pending() {
      return next !== null;
    },
  };
}
