// One Redis subscriber connection per process, fanned out to in-process listeners. SSE streams
// and the worker's cancel listener share it instead of opening a connection each.
import type { Redis } from 'ioredis';

export interface SubscriptionHub {
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

export function createSubscriptionHub(connection: Redis): SubscriptionHub {
  const listeners = new Map<string, Set<(message: string) => void>>();
  let stopped = false;

  connection.on('message', (channel: string, message: string) => {
    for (const listener of listeners.get(channel) ?? []) {
      try {
        listener(message);
      } catch {
        // A listener's failure must not starve the others.
      }
    }
  });

  return {
    async subscribe(channel, listener) {
      if (stopped) throw new Error('subscription hub is stopped');
      let set = listeners.get(channel);
      if (set === undefined) {
        set = new Set();
        listeners.set(channel, set);
        await connection.subscribe(channel);
      }
      set.add(listener);
      let active = true;
      return async () => {
        if (!active) return;
        active = false;
        const current = listeners.get(channel);
        current?.delete(listener);
        if (current !== undefined && current.size === 0) {
          listeners.delete(channel);
          if (!stopped) await connection.unsubscribe(channel).catch(() => undefined);
        }
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      listeners.clear();
      connection.disconnect();
    },
  };
}
