import { createServer, type Socket } from 'node:net';
import { CefSyslogSink, DeliveryError, PRODUCT_VERSION, cefHeader, cefLine, cefValue, syslogMessage } from '@toolwatch/detector';
import type { AlertRecord } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileAlert, sampleAlert } from '../../test/support/alerts.js';
import { parseCef } from '../../test/support/cef-parser.js';
import { startRsyslog, type SyslogRecord } from '../../test/support/rsyslog.js';
import { waitFor } from '../../test/support/webhook-receiver.js';

describe('CEF escaping, as the reference states it', () => {
  it('escapes | and \\ in header fields, and puts line breaks out of them', () => {
    expect(cefHeader('a|b\\c')).toBe('a\\|b\\\\c');
    expect(cefHeader('one\r\ntwo\nthree\rfour')).toBe('one two three four');
    expect(cefHeader('a=b')).toBe('a=b');
  });

  it('escapes = and \\ in extension values and writes line breaks as \\n and \\r', () => {
    expect(cefValue('a=b\\c|d')).toBe('a\\=b\\\\c|d');
    expect(cefValue('one\r\ntwo\nthree')).toBe('one\\r\\ntwo\\nthree');
    expect(cefValue('tab\there\u0000')).toBe('tab here ');
  });

  it('writes the header the brief names and a severity of 0-10', () => {
    const line = cefLine(sampleAlert({ severity: 'critical' }));
    expect(line.startsWith(`CEF:0|toolwatch|toolwatch|${PRODUCT_VERSION}|egress.session_bytes|Session read 12.0 MiB, 9.1x its client baseline|10|rt=`)).toBe(true);
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('frames the line in an RFC 5424 header', () => {
    const message = syslogMessage(sampleAlert(), { hostname: 'det 1', facility: 10 }, new Date('2026-01-02T03:04:05.678Z'));
    expect(message).toMatch(new RegExp(`^<83>1 2026-01-02T03:04:05.678Z det_1 toolwatch ${process.pid} alert - CEF:0\\|`));
  });
});

/** What a SIEM reading rsyslog's output gets back for `alert`: the same values, bar what CEF cannot hold. */
function expectIntact(record: SyslogRecord, alert: AlertRecord) {
  expect(record.msg).toBe(cefLine(alert));
  expect(record['protocol-version']).toBe('1');
  expect(record['app-name']).toBe('toolwatch');
  expect(record.msgid).toBe('alert');
  expect(record.hostname).toBe('detector-1');
  expect(record.syslogfacility).toBe('4');
  expect(record.syslogseverity).toBe(alert.severity === 'critical' ? '2' : '3');
  const cef = parseCef(record.msg);
  expect(cef).toMatchObject({ version: '0', vendor: 'toolwatch', product: 'toolwatch', deviceVersion: PRODUCT_VERSION, signatureId: alert.rule });
  // A header field cannot span lines; the msg extension carries the title exactly.
  expect(cef.name).toBe(alert.title.replace(/\r\n|[\r\n]/g, ' '));
  expect(cef.extension).toMatchObject({
    msg: alert.title,
    cs1: alert.id,
    cs2: alert.sessionKey,
    cs3: alert.serviceName,
    cs4: `${alert.clientName} ${alert.clientVersion}`,
    cs5: alert.tool,
    cs6: alert.tags.join(','),
    cat: alert.kind,
    act: alert.status,
    cfp2: String(alert.evidence.observed),
    cfp4: String(alert.evidence.baseline),
  });
}

describe('CEF over syslog into a real rsyslog', () => {
  let rsyslog: Awaited<ReturnType<typeof startRsyslog>>;
  const alerts = [sampleAlert(), hostileAlert({ severity: 'critical', revision: 1, status: 'updated' })];
  beforeAll(async () => {
    rsyslog = await startRsyslog({ tls: true });
  });
  afterAll(async () => rsyslog?.stop());

  const transports = [
    ['TCP, octet counting', { protocol: 'tcp', framing: 'octet-counting' }, 'imtcp'],
    ['TCP, newline framing', { protocol: 'tcp', framing: 'newline' }, 'imtcp'],
    ['UDP', { protocol: 'udp' }, 'imudp'],
    ['TLS (RFC 5425)', { protocol: 'tls', framing: 'octet-counting' }, 'imtcp'],
  ] as const;

  for (const [label, transport, input] of transports) {
    it(`reads back every field intact over ${label}, hostile titles included`, async () => {
      const port = { tcp: rsyslog.tcpPort, udp: rsyslog.udpPort, tls: rsyslog.tlsPort }[transport.protocol];
      const caFile = transport.protocol === 'tls' ? rsyslog.caFile : undefined;
      const sink = new CefSyslogSink({ host: '127.0.0.1', port, hostname: 'detector-1', caFile, ...transport });
      const before = rsyslog.received().length;
      for (const alert of alerts) await sink.deliver(alert);
      await sink.close();
      await waitFor(() => rsyslog.received().length >= before + alerts.length, 20_000, 'rsyslog to write both messages');
      const records = rsyslog.received().slice(before);
      expect(records).toHaveLength(alerts.length);
      records.forEach((record, i) => {
        expect(record.inputname).toBe(input);
        expectIntact(record, alerts[i]!);
      });
    });
  }

  it('refuses a TLS receiver whose certificate it cannot verify, and sends nothing', async () => {
    const before = rsyslog.received().length;
    const sink = new CefSyslogSink({ host: '127.0.0.1', port: rsyslog.tlsPort, protocol: 'tls' });
    const err = await sink.deliver(sampleAlert()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ retryable: true, message: `syslog-cef tls://127.0.0.1:${rsyslog.tlsPort}: DEPTH_ZERO_SELF_SIGNED_CERT` });
    await sink.close();
    expect(rsyslog.received().length).toBe(before);
  });
});

describe('CEF over syslog when the receiver is away', () => {
  it('fails retryably, naming host and port only, when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const sink = new CefSyslogSink({ host: '127.0.0.1', port });
    const err = await sink.deliver(sampleAlert()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ retryable: true, message: `syslog-cef tcp://127.0.0.1:${port}: ECONNREFUSED` });
  });

  it('connects again after the receiver dropped the connection', async () => {
    const connections: Socket[] = [];
    const data: string[] = [];
    const server = createServer((socket) => {
      connections.push(socket);
      socket.on('data', (d) => data.push(d.toString()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const sink = new CefSyslogSink({ host: '127.0.0.1', port: (server.address() as { port: number }).port, framing: 'newline' });
    await sink.deliver(sampleAlert());
    await waitFor(() => data.join('').includes('\n'), 10_000, 'the first message');
    const closed = new Promise((r) => connections[0]!.once('close', r));
    connections[0]!.destroy();
    await closed;
    // The first writes after a drop may vanish (plain syslog has no acknowledgement); the
    // sink must notice the close and open a new connection rather than fail forever.
    for (let i = 0; connections.length < 2; i++) {
      expect(i, 'deliveries before a new connection').toBeLessThan(200);
      await sink.deliver(sampleAlert({ revision: 1, status: 'updated' })).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => data.join('').includes('act=updated'), 10_000, 'the message on the new connection');
    await sink.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
