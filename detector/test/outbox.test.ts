import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClickHouseStore,
  DeliveryError,
  DeliveryQueue,
  OutboxBacklog,
  outboxRows,
  parseDetectorConfig,
  setSinkStatus,
  sinkStatus,
  type AlertSink,
  type OutboxShare,
} from '@toolwatch/detector';
import { alertId, type AlertRecord } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAlert } from '../../test/support/alerts.js';
import { waitFor } from '../../test/support/webhook-receiver.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tw-outbox-'));
const config = parseDetectorConfig({ clickhouse: { dataDir } });
let store: ClickHouseStore;
beforeAll(async () => {
  store = await ClickHouseStore.open(config.clickhouse);
});
afterAll(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A session's alert lifecycle: open, update, close, as the engine raises them. */
const lifecycle = (session: string, n: number): AlertRecord[] => {
  const open = sampleAlert({ sessionKey: session, id: alertId('rate.burst', session, String(n)), title: `${session} #${n}` });
  return [open, { ...open, status: 'updated', revision: 1 }, { ...open, status: 'closed', revision: 2 }];
};
const key = (a: AlertRecord) => `${a.id}.${a.revision}`;

/** A receiver that can be taken down (every call fails as a refused connection would). */
function recordingSink(name: string) {
  const received: AlertRecord[] = [];
  let reply: 'ok' | 'down' | 'gone' = 'ok';
  const sink: AlertSink = {
    name,
    async deliver(alert) {
      if (reply === 'down') throw new DeliveryError(`${name}: unreachable`, true);
      if (reply === 'gone') throw new DeliveryError(`${name}: 410 Gone, endpoint disabled`, false, undefined, true);
      received.push(alert);
    },
  };
  return { sink, received, set: (next: typeof reply) => (reply = next) };
}

let groups = 0;
/** A fresh consumer group per test: outbox rows are scoped by it. */
const setup = (sinkName: string) => {
  const group = `g${++groups}`;
  const write = (partition: number, offset: bigint, alerts: AlertRecord[]) =>
    store.writeOutbox(outboxRows([sinkName], { group, topic: 'spans', partition, offset }, alerts));
  const queue = (sink: AlertSink, share: () => OutboxShare = () => 'all', delays = [20, 20, 20, 20, 20, 20, 20, 20, 20, 20]) =>
    new DeliveryQueue(sink, { retryDelaysMs: delays, backlog: new OutboxBacklog(store, sinkName, group, share) });
  return { write, queue };
};

describe('durable outbox (ClickHouse, chDB)', () => {
  it('delivers in the order alerts were raised, once per revision, even when a batch was written twice', async () => {
    const { write, queue } = setup('order');
    const a = lifecycle('sess-a', 1);
    const b = lifecycle('sess-b', 2);
    await write(0, 10n, [a[0]!, b[0]!]);
    await write(0, 25n, [a[1]!, b[1]!, b[2]!]);
    await write(0, 25n, [a[1]!, b[1]!, b[2]!]); // a retried insert repeats rows
    await write(0, 40n, [a[2]!]);
    await write(0, 55n, [a[1]!]); // the same alert raised again by a new owner, further on
    const r = recordingSink('order');
    const q = queue(r.sink);
    q.wake();
    await q.drain(10_000);
    expect(r.received.map(key)).toEqual([a[0]!, b[0]!, a[1]!, b[1]!, b[2]!, a[2]!].map(key));
    expect(q.stats).toMatchObject({ delivered: 6, failed: 0 });
    await q.close();
  });

  it('delivers only the partitions it owns, and takes up a partition handed to it', async () => {
    const { write, queue } = setup('share');
    const [p0] = lifecycle('sess-0', 1);
    const [p1] = lifecycle('sess-1', 2);
    await write(0, 1n, [p0!]);
    await write(1, 1n, [p1!]);
    const partitions = [0];
    const r = recordingSink('share');
    const q = queue(r.sink, () => ({ topic: 'spans', partitions }));
    q.wake();
    await q.drain(10_000);
    expect(r.received.map((x) => x.sessionKey)).toEqual(['sess-0']);
    partitions.push(1); // a rebalance gave it partition 1
    q.wake();
    await q.drain(10_000);
    expect(r.received.map((x) => x.sessionKey)).toEqual(['sess-0', 'sess-1']);
    await q.close();
  });

  it('resumes after a restart where it stopped: nothing twice, nothing lost, in order', async () => {
    const { write, queue } = setup('restart');
    const alerts = [...lifecycle('sess-r', 1), ...lifecycle('sess-s', 2)];
    await write(3, 100n, alerts.slice(0, 2));
    const r = recordingSink('restart');
    const first = queue(r.sink);
    first.wake();
    await waitFor(() => r.received.length === 2, 10_000, 'the first two deliveries');
    r.set('down');
    await write(3, 200n, alerts.slice(2));
    first.wake();
    await new Promise((resolve) => setTimeout(resolve, 200)); // a few failed attempts
    await first.close(); // stopped while an alert waits for its next retry

    r.set('ok');
    const second = queue(r.sink);
    second.wake();
    await second.drain(10_000);
    expect(r.received.map(key)).toEqual(alerts.map(key));
    await second.close();
  });

  it('an answer a crash kept from being saved means one more delivery, under the same id', async () => {
    const { write, queue } = setup('crash');
    const [alert] = lifecycle('sess-c', 1);
    await write(0, 1n, [alert!]);
    const received: AlertRecord[] = [];
    let release = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    // The receiver has the alert; its answer comes back after the process "died".
    const first = queue({ name: 'crash', deliver: async (a) => (received.push(a), slow) });
    first.wake();
    await waitFor(() => received.length === 1, 10_000, 'a delivery');
    const dying = first.close({ flush: false });
    release();
    await dying;
    const second = queue({ name: 'crash', deliver: async (a) => void received.push(a) });
    second.wake();
    await second.drain(10_000);
    // At least once: receivers dedupe by the id (webhook-id, dedup_key, event.id, finding uid).
    expect(received.map(key)).toEqual([key(alert!), key(alert!)]);
    await second.close();
  });

  it('saves each answer as it comes, not when the page is done', async () => {
    const { write, queue } = setup('as-it-comes');
    const alerts = [...lifecycle('sess-p', 1), ...lifecycle('sess-q', 2)];
    await write(0, 1n, alerts);
    const received: AlertRecord[] = [];
    // Takes three, then fails the rest for as long as the test lasts.
    const q = queue({ name: 'as-it-comes', deliver: async (a) => {
      if (received.length >= 3) throw new DeliveryError('as-it-comes: HTTP 503', true);
      received.push(a);
    } }, () => 'all', Array<number>(10).fill(60_000));
    q.wake();
    await waitFor(() => received.length === 3, 10_000, 'three deliveries');
    const saved = async () => Number((await store.query<{ n: string }>(`SELECT count() AS n FROM toolwatch_outbox_acks WHERE Sink = 'as-it-comes'`))[0]!.n);
    for (let i = 0; i < 100 && (await saved()) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await saved()).toBe(3);
    await q.close({ flush: false });
  });

  it('holds back only the session whose alert fails; the others go, each in order', async () => {
    const { write, queue } = setup('lanes');
    const a = lifecycle('sess-a', 1);
    const b = lifecycle('sess-b', 2);
    await write(0, 1n, [a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, b[2]!]);
    const received: AlertRecord[] = [];
    let refusals = 0;
    const q = queue({ name: 'lanes', deliver: async (x) => {
      // The receiver refuses a's opening three times (a payload it chokes on, say).
      if (x.id === a[0]!.id && x.revision === 0 && refusals++ < 3) throw new DeliveryError('lanes: HTTP 500', true);
      received.push(x);
    } }, () => 'all', [30, 30, 30, 30, 30]);
    q.wake();
    await q.drain(10_000);
    expect(received.filter((x) => x.sessionKey === 'sess-b').map(key)).toEqual(b.map(key));
    expect(received.filter((x) => x.sessionKey === 'sess-a').map(key)).toEqual(a.map(key));
    expect(received.findIndex((x) => x.sessionKey === 'sess-a')).toBeGreaterThan(received.findIndex((x) => key(x) === key(b[2]!)));
    await q.close();
  });

  it('pauses the whole sink when its receiver is down instead of trying every session', async () => {
    const { write, queue } = setup('down');
    const sessions = Array.from({ length: 10 }, (_, i) => lifecycle(`sess-d${i}`, i)[0]!);
    await write(0, 1n, sessions);
    let down = true;
    let attempts = 0;
    const received: AlertRecord[] = [];
    const q = queue({ name: 'down', deliver: async (x) => {
      attempts += 1;
      if (down) throw new DeliveryError('down: unreachable', true);
      received.push(x);
    } }, () => 'all', Array<number>(40).fill(100));
    q.wake();
    await new Promise((r) => setTimeout(r, 600));
    const duringOutage = attempts;
    down = false;
    await q.drain(10_000);
    // Two attempts a pause (a probe and its confirmation), not ten a round.
    expect(duringOutage).toBeLessThanOrEqual(16);
    expect(received.map(key).sort()).toEqual(sessions.map(key).sort());
    await q.close();
  });

  it('does not send an alert whose partition moved while it waited for a retry', async () => {
    const { write, queue } = setup('moved');
    const alerts = lifecycle('sess-m', 1);
    await write(0, 1n, alerts);
    const arrivals: string[] = [];
    let down = true;
    const sink = (who: string): AlertSink => ({ name: 'moved', deliver: async (x) => {
      if (down) throw new DeliveryError('moved: unreachable', true);
      arrivals.push(`${who}:${key(x)}`);
    } });
    let aOwns = [0];
    const a = queue(sink('A'), () => ({ topic: 'spans', partitions: aOwns }), [300, 300, 300]);
    a.wake();
    await new Promise((r) => setTimeout(r, 50)); // A failed once and waits
    aOwns = []; // a rebalance gives partition 0 to B
    down = false;
    const b = queue(sink('B'), () => ({ topic: 'spans', partitions: [0] }));
    b.wake();
    await b.drain(10_000);
    await new Promise((r) => setTimeout(r, 500)); // past A's retry
    expect(arrivals).toEqual(alerts.map((x) => `B:${key(x)}`));
    await Promise.all([a.close(), b.close()]);
  });

  it('takes the partitions in turn: an old alert is not starved by a partition with lower offsets', async () => {
    const { write, queue } = setup('turns');
    const [old] = lifecycle('sess-old', 1);
    await write(0, 5_000_000n, [old!]);
    for (let i = 0; i < 30; i++) await write(1, BigInt(i), [lifecycle(`sess-n${i}`, i)[0]!]);
    const received: AlertRecord[] = [];
    const q = queue({ name: 'turns', deliver: async (x) => void received.push(x) });
    q.wake();
    await q.drain(10_000);
    expect(received).toHaveLength(31);
    expect(received.findIndex((x) => x.id === old!.id)).toBeLessThanOrEqual(1);
    await q.close();
  });

  it('keeps its reads small however many answers it has saved', async () => {
    const { write } = setup('many');
    const alerts = Array.from({ length: 1_500 }, (_, i) => lifecycle(`sess-many${i}`, i)[0]!);
    await write(0, 1n, alerts);
    const backlog = new OutboxBacklog(store, 'many', `g${groups}`, () => 'all');
    let largest = 0;
    const read = store.query.bind(store);
    // What goes to the server with each read (a URL's parameters, for a ClickHouse server).
    store.query = async <T,>(sql: string, params?: Record<string, unknown>) => {
      largest = Math.max(largest, JSON.stringify(params ?? {}).length);
      return read<T>(sql, params);
    };
    try {
      const received: AlertRecord[] = [];
      const q = new DeliveryQueue({ name: 'many', deliver: async (x) => void received.push(x) }, { backlog });
      q.wake();
      await q.drain(30_000);
      expect(received).toHaveLength(1_500);
      expect(largest).toBeLessThan(4_096);
      await q.close();
    } finally {
      store.query = read;
    }
  });

  it('closes at once even when a read ends while a session waits hours for its retry', async () => {
    const { write } = setup('closing');
    const [alert] = lifecycle('sess-close', 1);
    await write(0, 1n, [alert!]);
    const backlog = new OutboxBacklog(store, 'closing', `g${groups}`, () => 'all');
    const next = backlog.next.bind(backlog);
    backlog.next = async (limit, held) => {
      await new Promise((r) => setTimeout(r, 150)); // a slow server
      return next(limit, held);
    };
    let attempts = 0;
    const sink: AlertSink = { name: 'closing', deliver: async () => {
      attempts += 1;
      throw new DeliveryError('closing: HTTP 503', true);
    } };
    const q = new DeliveryQueue(sink, { backlog, retryDelaysMs: [3_600_000] });
    q.wake();
    await waitFor(() => attempts === 1, 10_000, 'the first attempt');
    await new Promise((r) => setTimeout(r, 50)); // the next read is under way
    const started = Date.now();
    await q.close();
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('pauses for a down receiver even when each page holds one session\'s alerts', async () => {
    const { write, queue } = setup('pages');
    for (let i = 0; i < 12; i++) await write(0, BigInt(i), Array.from({ length: 100 }, (_, n) => ({ ...lifecycle(`sess-page${i}`, i)[0]!, revision: n })));
    const tried = new Set<string>();
    const q = queue({ name: 'pages', deliver: async (x) => {
      tried.add(x.sessionKey);
      throw new DeliveryError('pages: unreachable', true);
    } }, () => 'all', Array<number>(40).fill(300));
    q.wake();
    await new Promise((r) => setTimeout(r, 1_500));
    await q.close();
    // A pause after two failures, then one probe a pause: a few sessions, not all twelve.
    expect(tried.size).toBeLessThanOrEqual(6);
  });

  it('a 410 disables the sink across restarts; enabled again, it gets what waited', async () => {
    const { write, queue } = setup('gone');
    const alerts = lifecycle('sess-g', 1);
    await write(0, 1n, alerts);
    const r = recordingSink('gone');
    r.set('gone');
    const first = queue(r.sink);
    first.wake();
    await first.drain(10_000);
    expect(first.stats).toMatchObject({ delivered: 0, failed: 0, dropped: 0 });
    await first.close();
    expect(await sinkStatus(store, 'gone')).toEqual({ reason: 'gone: 410 Gone, endpoint disabled' });

    r.set('ok');
    const second = queue(r.sink);
    second.wake();
    await second.drain(10_000);
    expect(r.received).toEqual([]); // disabled still, after the restart
    await second.close();

    await setSinkStatus(store, 'gone', undefined);
    const third = queue(r.sink);
    third.wake();
    await third.drain(10_000);
    // The alert that met the 410 was kept, with the two behind it.
    expect(r.received.map(key)).toEqual(alerts.map(key));
    await third.close();
  });

  it('records a permanent failure and goes on to the next alert', async () => {
    const { write, queue } = setup('reject');
    const alerts = lifecycle('sess-x', 1);
    await write(0, 1n, alerts);
    const received: AlertRecord[] = [];
    const sink: AlertSink = {
      name: 'reject',
      async deliver(alert) {
        if (alert.revision === 1) throw new DeliveryError('reject: HTTP 400', false);
        received.push(alert);
      },
    };
    const q = queue(sink);
    q.wake();
    await q.drain(10_000);
    expect(received.map((a) => a.revision)).toEqual([0, 2]);
    const outcomes = await store.query<{ Revision: number; Outcome: string; Reason: string }>(
      `SELECT Revision, Outcome, Reason FROM toolwatch_outbox_acks FINAL WHERE Sink = 'reject' ORDER BY Revision`,
    );
    expect(outcomes).toEqual([
      { Revision: 0, Outcome: 'delivered', Reason: '' },
      { Revision: 1, Outcome: 'failed', Reason: 'reject: HTTP 400' },
      { Revision: 2, Outcome: 'delivered', Reason: '' },
    ]);
    await q.close();
  });
});
