import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A Kafka producer on a worker thread, fed chunk by chunk: the detector's event loop is
 * what (b) measures, and a producer in the same loop would take its share. The worker's
 * code is a string (evaluated, not loaded from a file) so that it runs the same from the
 * built dist and from the TypeScript sources.
 */
const PRODUCER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Kafka, logLevel, Partitioners } = require(workerData.kafkajs);
const kafka = new Kafka({ clientId: 'toolwatch-bench-producer', brokers: workerData.brokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
const ready = producer.connect();
let queue = Promise.resolve();
parentPort.on('message', (msg) => {
  queue = queue.then(async () => {
    await ready;
    if (msg.end) {
      await producer.disconnect();
      parentPort.postMessage({ closed: true });
      return;
    }
    const messages = msg.keys.map((key, i) => ({ key, value: Buffer.from(msg.values[i]) }));
    await producer.send({ topic: workerData.topic, messages });
    parentPort.postMessage({ acked: messages.length });
  }).catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
});
`;

export class BenchProducer {
  acked = 0;
  private readonly worker: Worker;
  private error: Error | undefined;
  private closed: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(brokers: string[], topic: string) {
    // Resolved here: an evaluated worker would resolve from the working directory.
    const kafkajs = createRequire(import.meta.url).resolve('kafkajs');
    // No inherited flags: `--input-type=module` would make the CommonJS code above ESM.
    this.worker = new Worker(PRODUCER, { eval: true, execArgv: [], workerData: { brokers, topic, kafkajs } });
    this.closed = new Promise((resolve) => {
      this.worker.on('message', (m: { acked?: number; error?: string; closed?: boolean }) => {
        if (m.acked) this.acked += m.acked;
        if (m.error) this.error = new Error(`bench producer: ${m.error}`);
        if (m.closed) resolve();
        this.wake();
      });
    });
    this.worker.on('error', (err) => {
      this.error = err;
      this.wake();
    });
  }

  /** Hands a chunk to the worker; it sends chunks one after another, in order. */
  send(keys: string[], values: Buffer[]): void {
    this.check();
    this.worker.postMessage({ keys, values: values.map((v) => new Uint8Array(v.buffer, v.byteOffset, v.length)) });
  }

  /** The worker's event loop busy time so far, in ms: the producer's share of the CPU. */
  busyMs(): number {
    return this.worker.performance.eventLoopUtilization().active;
  }

  /** Resolves when at least `count` messages have been acknowledged by the brokers. */
  async ackedAtLeast(count: number): Promise<void> {
    while (this.acked < count) {
      this.check();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    this.worker.postMessage({ end: true });
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 10_000))]);
    await this.worker.terminate();
  }

  private check(): void {
    if (this.error) throw this.error;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
