// Stand-ins for what the browser shares between a site's tabs, for Node tests that play two tabs as two
// fresh copies of the store modules: a LockManager (exclusive locks, granted in request order, dropped when
// the holding tab "closes") and a BroadcastChannel bus. A new one per test keeps tests apart.

type Grant = (v?: unknown) => unknown;

export class FakeLocks {
  private readonly busy = new Set<string>();
  private readonly queues = new Map<string, Array<() => void>>();
  private readonly forced = new Map<string, () => void>();

  private take(name: string): Promise<void> {
    if (!this.busy.has(name)) {
      this.busy.add(name);
      return Promise.resolve();
    }
    return new Promise((r) => {
      const q = this.queues.get(name) ?? [];
      q.push(r);
      this.queues.set(name, q);
    });
  }

  private give(name: string) {
    const next = this.queues.get(name)?.shift();
    if (next) next();
    else this.busy.delete(name);
  }

  async request(name: string, opts: unknown, cb?: Grant): Promise<unknown> {
    const grant = (cb ?? opts) as Grant;
    await this.take(name);
    const gone = new Promise<void>((r) => this.forced.set(name, r));
    try {
      return await Promise.race([grant({ name, mode: 'exclusive' }), gone]);
    } finally {
      this.forced.delete(name);
      this.give(name);
    }
  }

  async query(): Promise<{ held: { name: string }[]; pending: { name: string }[] }> {
    return {
      held: [...this.busy].map((name) => ({ name })),
      pending: [...this.queues].flatMap(([name, q]) => q.map(() => ({ name }))),
    };
  }

  /** the tab holding `name` went away: the browser drops its lock whatever its callback was doing */
  drop(name: string) {
    this.forced.get(name)?.();
  }

  heldNames(): string[] {
    return [...this.busy];
  }
}

/** A BroadcastChannel class whose instances talk only to each other. */
export function broadcastBus(): typeof BroadcastChannel {
  const members = new Set<FakeChannel>();
  class FakeChannel {
    onmessage: ((e: { data: unknown }) => void) | null = null;
    constructor(readonly name: string) {
      members.add(this);
    }
    postMessage(data: unknown) {
      for (const m of members)
        if (m !== this && m.name === this.name) {
          const copy = structuredClone(data);
          setTimeout(() => m.onmessage?.({ data: copy }), 0);
        }
    }
    close() {
      members.delete(this);
    }
  }
  return FakeChannel as unknown as typeof BroadcastChannel;
}
