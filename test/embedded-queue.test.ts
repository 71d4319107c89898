import { describe, expect, it } from 'vitest';
import { EmbeddedQueue } from '../src/embedded-queue.js';

describe('embedded queue (the Kafka hop in one process)', () => {
  it('hands a failed batch over again, so nothing accepted is lost', async () => {
    const queue = new EmbeddedQueue({ retryDelayMs: 5, maxBatch: 10 });
    const handled: string[] = [];
    let failures = 2;
    await queue.start(async (batch) => {
      if (failures-- > 0) throw new Error('ClickHouse away');
      handled.push(...batch.messages.map((m) => String(m.value)));
    });
    await queue.send(Array.from({ length: 25 }, (_, i) => ({ key: 'k', value: `v${i}` })));
    await queue.idle();
    expect(handled).toEqual(Array.from({ length: 25 }, (_, i) => `v${i}`));
    expect(queue.depth).toBe(0);
  });

  it('refuses a batch when full instead of growing without bound', async () => {
    const queue = new EmbeddedQueue({ maxRecords: 3 });
    await queue.send([{ key: 'k', value: '1' }, { key: 'k', value: '2' }]);
    await expect(queue.send([{ key: 'k', value: '3' }, { key: 'k', value: '4' }])).rejects.toThrow(/full/);
    expect(queue.depth).toBe(2);
  });

  it('keeps records sent before the detector started', async () => {
    const queue = new EmbeddedQueue();
    await queue.send([{ key: 'k', value: 'early' }]);
    const seen: string[] = [];
    await queue.start(async (batch) => void seen.push(...batch.messages.map((m) => String(m.value))));
    await queue.idle();
    expect(seen).toEqual(['early']);
  });
});
