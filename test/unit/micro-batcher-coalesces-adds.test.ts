import { describe, expect, it } from 'vitest';
import { createMicroBatcher } from '../../src/queue/micro-batcher.js';

describe('micro-batcher', () => {
  it('coalesces calls made in one turn into bulk runs no larger than maxBatch', async () => {
    const runs: number[][] = [];
    const batcher = createMicroBatcher<number>({ maxBatch: 4, run: async (items) => void runs.push(items) });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.add(i)));
    expect(runs).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('resolves a caller only after its batch was written, and rejects every caller of a failed batch', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = createMicroBatcher<string>({
      maxBatch: 10,
      run: async (items) => {
        await gate;
        if (items.includes('bad')) throw new Error('redis down');
      },
    });
    let settled = false;
    const ok = batcher.add('a').then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    release();
    await ok;
    expect(settled).toBe(true);
    const results = await Promise.allSettled([batcher.add('x'), batcher.add('bad')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
