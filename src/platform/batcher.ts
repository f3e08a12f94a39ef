/**
 * Combines concurrent calls into batches, one batch in flight per key (a workspace, say): the
 * calls that arrive while a batch runs leave together as the next one. Under load a batch holds
 * about as many calls as are in flight; alone, a call waits for no timer, only for the end of
 * the current tick (so the calls of one tick share a batch). The hot paths use it to turn a
 * round trip (or a transaction) per request into one per batch: draw writes, user lookups,
 * counter takes. Grant writes use PipelinedBatcher, which also sends the next statement
 * without waiting for this process.
 *
 * `run` answers one result per input, in order. When it throws, every call of that batch is
 * rejected with the error; the batcher goes on with the next batch.
 */
export class KeyedBatcher<In, Out> {
  private readonly queues = new KeyedQueues<In, Out>((key) => this.drain(key));

  constructor(
    private readonly run: (key: string, inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 500,
  ) {}

  add(key: string, input: In): Promise<Out> {
    return this.queues.add(key, input);
  }

  private async drain(key: string): Promise<void> {
    try {
      for (;;) {
        const batch = this.queues.take(key, this.maxBatch);
        if (batch.length === 0) break;
        await settle(batch, () => this.run(key, batch.map((b) => b.input)));
      }
    } finally {
      this.queues.finish(key);
    }
  }
}

/** A call waiting in a batcher's queue. */
export interface Pending<In, Out> { input: In; resolve: (o: Out) => void; reject: (e: unknown) => void }

/**
 * The queues of a keyed batcher (KeyedBatcher, PipelinedBatcher): the calls waiting per key,
 * and one drain per key while its queue has calls. `add` starts the key's drain after the
 * current tick unless one runs. A drain takes batches until `take` answers none, then calls
 * `finish` with no await in between, so a call added after that starts a new drain.
 */
export class KeyedQueues<In, Out> {
  private readonly queues = new Map<string, Pending<In, Out>[]>();
  private readonly running = new Set<string>();

  constructor(private readonly drain: (key: string) => Promise<void>) {}

  add(key: string, input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      let q = this.queues.get(key);
      if (!q) this.queues.set(key, (q = []));
      q.push({ input, resolve, reject });
      if (!this.running.has(key)) {
        this.running.add(key);
        setImmediate(() => void this.drain(key));
      }
    });
  }

  take(key: string, max: number): Pending<In, Out>[] {
    return this.queues.get(key)?.splice(0, max) ?? [];
  }

  finish(key: string): void {
    this.running.delete(key);
    if (this.queues.get(key)?.length === 0) this.queues.delete(key);
  }
}

/** Answers a batch's calls with `run`'s results, in order, or rejects them all with its error. */
export async function settle<In, Out>(batch: Pending<In, Out>[], run: () => Promise<Out[]>): Promise<void> {
  let out: Out[];
  try {
    out = await run();
  } catch (err) {
    rejectAll(batch, err);
    return;
  }
  resolveAll(batch, () => out);
}

/** settle for results at hand: answers the calls in order, or rejects them all when `results` throws. */
export function resolveAll<In, Out>(batch: Pending<In, Out>[], results: () => Out[]): void {
  let out: Out[];
  try {
    out = results();
  } catch (err) {
    rejectAll(batch, err);
    return;
  }
  batch.forEach((b, i) => b.resolve(out[i]!));
}

/** Rejects every call of a batch with one error. */
export function rejectAll<In, Out>(batch: Pending<In, Out>[], err: unknown): void {
  for (const b of batch) b.reject(err);
}
