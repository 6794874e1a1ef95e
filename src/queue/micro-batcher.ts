// Coalesces concurrent calls into one bulk operation. Callers still resolve only after their own
// item was written by the bulk call, so "202 after a durable write" holds per request; a batch
// failure rejects every caller in it.

export interface MicroBatcherOptions<T> {
  maxBatch: number;
  run: (items: T[]) => Promise<void>;
}

export interface MicroBatcher<T> {
  add(item: T): Promise<void>;
}

export function createMicroBatcher<T>(options: MicroBatcherOptions<T>): MicroBatcher<T> {
  let pending: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    while (pending.length > 0) {
      const batch = pending.slice(0, options.maxBatch);
      pending = pending.slice(batch.length);
      options.run(batch.map((p) => p.item)).then(
        () => {
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      );
    }
  };

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        // setImmediate lets every request parsed in this event-loop turn join the same batch.
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
