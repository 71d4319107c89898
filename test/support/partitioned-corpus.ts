import { createHash } from 'node:crypto';
import { DetectionEngine, generateCorpus, observe, type CorpusOptions, type RulesConfig } from '@toolwatch/detector';
import type { AlertRecord, SpanRecord } from '@toolwatch/schemas';
import type { Producer } from 'kafkajs';

/** The mock cluster's auto-created topics have four partitions. */
export const PARTITIONS = 4;
const partitionOf = (key: string) => createHash('sha1').update(key).digest().readUInt32BE(0) % PARTITIONS;

export interface KeyedRecord {
  record: SpanRecord;
  key: string;
  partition: number;
}

/**
 * A labelled corpus keyed by session and spread over the partitions, and what one engine
 * per partition that never stops raises from it: the alerts a detector must store and
 * deliver whatever happens to it on the way.
 */
export function partitionedCorpus(options: CorpusOptions, rules: RulesConfig): { keyed: KeyedRecord[]; expected: AlertRecord[] } {
  const keyed = generateCorpus(options).records.map((record) => {
    const key = observe(record).sessionKey;
    return { record, key, partition: partitionOf(key) };
  });
  const expected: AlertRecord[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const engine = new DetectionEngine(rules);
    for (const k of keyed) if (k.partition === p) expected.push(...engine.process(k.record));
  }
  return { keyed, expected };
}

/** Sends records to their partitions, 250 a request. */
export async function produceKeyed(producer: Producer, topic: string, slice: KeyedRecord[]): Promise<void> {
  for (let i = 0; i < slice.length; i += 250) {
    await producer.send({ topic, messages: slice.slice(i, i + 250).map((k) => ({ key: k.key, value: JSON.stringify(k.record), partition: k.partition })) });
  }
}
