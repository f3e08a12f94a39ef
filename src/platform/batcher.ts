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
  private readonly queues = new Map<string, { input: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[]>();
  private readonly running = new Set<string>();

  constructor(
    private readonly run: (key: string, inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 500,
  ) {}

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

  private async drain(key: string): Promise<void> {
    try {
      for (;;) {
        const q = this.queues.get(key);
        if (!q || q.length === 0) break;
        const batch = q.splice(0, this.maxBatch);
        try {
          const out = await this.run(key, batch.map((b) => b.input));
          batch.forEach((b, i) => b.resolve(out[i]!));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running.delete(key);
      if (this.queues.get(key)?.length === 0) this.queues.delete(key);
    }
  }
}
