import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanRecord } from '@toolwatch/schemas';
import { describe, expect, it } from 'vitest';
import { MemoryRecordTransport } from '../../test/support/memory-transport.js';
import { FanOutExporter } from '../src/exporters/fan-out.js';
import { JsonlFileTransport } from '../src/exporters/jsonl.js';
import { SpanRecordExporter } from '../src/exporters/span-record-exporter.js';
import { connectInstrumented, instrumentation, makeRecords, range, tempDir } from './exporters-support.js';

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

describe('JsonlFileTransport', () => {
  it('writes one span record per line from a real instrumented server, appending across restarts', async () => {
    const path = join(tempDir('jsonl'), 'audit', 'spans.jsonl'); // the directory does not exist yet
    const produced = new MemoryRecordTransport();
    for (const run of [1, 2]) {
      const exporter = new SpanRecordExporter(new JsonlFileTransport({ path }));
      const pipeline = instrumentation(new FanOutExporter([exporter, new SpanRecordExporter(produced)]));
      const client = await connectInstrumented(pipeline, `run-${run}`);
      await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
      await client.close();
      await pipeline.shutdown();
      expect(exporter.stats.failed).toBe(0);
    }
    // Each line is one record as the instrumentation made it; the second run appended.
    const written = lines(path);
    expect(written).toEqual(produced.sent.map((r) => r.value));
    const records = written.map((line) => SpanRecord.parse(JSON.parse(line)));
    expect(records.filter((r) => r.SpanName === 'tools/call echo').map((r) => r.SpanAttributes['toolwatch.client.name'])).toEqual(['run-1', 'run-2']);
  });

  it('keeps one record per line even when a value holds a raw line break', async () => {
    const path = join(tempDir('jsonl'), 'spans.jsonl');
    const t = new JsonlFileTransport({ path, fsync: 'always' });
    await t.send([{ key: 'k', value: '{\n"a": 1\r\n}' }, ...makeRecords(0, 2)]);
    await t.close();
    expect(lines(path).map((l) => JSON.parse(l))).toEqual([{ a: 1 }, ...range(0, 2).map((v) => JSON.parse(v))]);
  });

  it('rotates by size, keeps maxFiles old files, and loses nothing in what it keeps', async () => {
    const path = join(tempDir('jsonl'), 'spans.jsonl');
    const t = new JsonlFileTransport({ path, maxBytes: 500, maxFiles: 2 });
    for (let i = 0; i < 40; i++) await t.send(makeRecords(i * 5, 5));
    await t.close();
    expect(t.stats.rotations).toBeGreaterThan(3);
    expect(existsSync(`${path}.3`)).toBe(false);
    const kept = [...lines(`${path}.2`), ...lines(`${path}.1`), ...lines(path)];
    // Oldest to newest, the kept files are an unbroken run ending with the last record.
    expect(kept).toEqual(range(200 - kept.length, kept.length));
    expect(kept.length).toBeGreaterThan(40);
  });

  it('turns a path it cannot write into a failed send, counted, never a throw', async () => {
    const dir = tempDir('jsonl');
    writeFileSync(join(dir, 'a-file'), '');
    const t = new JsonlFileTransport({ path: join(dir, 'a-file', 'spans.jsonl') }); // parent is a file
    const exporter = new SpanRecordExporter(t);
    const produced = new MemoryRecordTransport();
    const pipeline = instrumentation(new FanOutExporter([exporter, new SpanRecordExporter(produced)]));
    const client = await connectInstrumented(pipeline);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'still served' } });
    expect(result.content).toEqual([{ type: 'text', text: 'still served' }]);
    await pipeline.forceFlush();
    expect(produced.sent.length).toBeGreaterThan(0);
    expect(exporter.stats).toEqual({ exported: 0, failed: produced.sent.length });
    await client.close();
    await pipeline.shutdown();
  });
});
