import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

export interface TopicMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

const kafka = (brokers: string[]) => new Kafka({ clientId: 'toolwatch-test', brokers, logLevel: logLevel.NOTHING });

/** Reads a topic from the beginning with a group of its own until `count` messages came. */
export async function readTopic(brokers: string[], topic: string, count: number, timeoutMs = 30_000): Promise<TopicMessage[]> {
  const consumer = kafka(brokers).consumer({ groupId: `reader-${randomUUID()}` });
  const messages: TopicMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${messages.length} of ${count} messages from ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          messages.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers });
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

export async function produceRaw(brokers: string[], topic: string, values: string[]): Promise<void> {
  const producer = kafka(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, messages: values.map((value, i) => ({ key: `malformed-${i}`, value })) });
  await producer.disconnect();
}

export const uniqueTopic = (name: string) => `toolwatch.test.${name}.${randomUUID().slice(0, 8)}`;
