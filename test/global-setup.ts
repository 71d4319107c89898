import type { TestProject } from 'vitest/node';
import { startKafkaMock, type KafkaMock } from './support/kafka-mock.js';

let kafka: KafkaMock | undefined;

/** One mock Kafka cluster for the whole run; each test uses topics of its own. */
export async function setup(project: TestProject) {
  kafka = await startKafkaMock();
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('kafkaPid', kafka.pid);
}

export async function teardown() {
  await kafka?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    kafkaPid: number;
  }
}
