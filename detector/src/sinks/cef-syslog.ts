import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { AlertRecord } from '@toolwatch/schemas';
import { DeliveryError, type AlertSink } from './alert-sink.js';
import { syslogMessage, type SyslogHeader } from './cef-format.js';

export interface CefSyslogOptions extends SyslogHeader {
  host: string;
  port: number;
  /** `tls` is syslog over TLS (RFC 5425, usually port 6514); the receiver's certificate is
   * checked against `caFile`, or Node's trusted CAs without it. */
  protocol?: 'tcp' | 'tls' | 'udp';
  caFile?: string;
  /** TCP and TLS framing (RFC 6587): octet counting (`<length> <message>`) by default, or a
   * newline after each message for receivers that take only that. CEF lines never hold a raw newline. */
  framing?: 'octet-counting' | 'newline';
  timeoutMs?: number;
}

/**
 * CEF lines in RFC 5424 syslog messages, over TCP or UDP. An alert counts as delivered once
 * the kernel took it (TCP) or sent it (UDP): plain syslog has no acknowledgement, so a message
 * written just as a receiver drops the connection can be lost.
 */
export class CefSyslogSink implements AlertSink {
  readonly name: string;
  private tcp: Promise<Socket> | undefined;
  private connected: Socket | undefined;
  private udp: UdpSocket | undefined;
  private readonly ca: string | undefined;

  constructor(private readonly options: CefSyslogOptions) {
    this.name = `syslog-cef ${options.protocol ?? 'tcp'}://${options.host}:${options.port}`;
    this.ca = options.caFile === undefined ? undefined : readFileSync(options.caFile, 'utf8');
  }

  async deliver(alert: AlertRecord): Promise<void> {
    const message = Buffer.from(syslogMessage(alert, this.options), 'utf8');
    if (this.options.protocol === 'udp') return this.sendUdp(message);
    const frame =
      this.options.framing === 'newline'
        ? Buffer.concat([message, Buffer.from('\n')])
        : Buffer.concat([Buffer.from(`${message.length} `), message]);
    return this.sendTcp(frame);
  }

  async close(): Promise<void> {
    const tcp = this.tcp;
    this.tcp = undefined;
    const socket = await tcp?.catch(() => undefined);
    if (socket) await new Promise<void>((resolve) => socket.end(resolve));
    this.udp?.close();
    this.udp = undefined;
  }

  private sendUdp(message: Buffer): Promise<void> {
    if (!this.udp) {
      this.udp = createSocket(this.options.host.includes(':') ? 'udp6' : 'udp4');
      // Send errors reach the callback below; an unhandled 'error' event would end the detector.
      this.udp.on('error', () => {});
    }
    return new Promise((resolve, reject) =>
      this.udp!.send(message, this.options.port, this.options.host, (err) =>
        err ? reject(new DeliveryError(`${this.name}: ${(err as NodeJS.ErrnoException).code ?? 'send failed'}`, true)) : resolve(),
      ),
    );
  }

  private async sendTcp(frame: Buffer): Promise<void> {
    this.tcp ??= this.connect();
    let socket: Socket;
    try {
      socket = await this.tcp;
    } catch (err) {
      this.tcp = undefined;
      throw err;
    }
    await new Promise<void>((resolve, reject) => {
      // A receiver that stops reading would hold the write forever.
      const timer = setTimeout(() => socket.destroy(new Error('write timed out')), this.options.timeoutMs ?? 15_000);
      socket.write(frame, (err) => {
        clearTimeout(timer);
        if (!err) return resolve();
        this.tcp = undefined;
        socket.destroy();
        reject(new DeliveryError(`${this.name}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, true));
      });
    });
  }

  private connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const { host, port } = this.options;
      const tls = this.options.protocol === 'tls';
      const socket = tls ? connectTls({ host, port, ca: this.ca }) : createConnection({ host, port });
      socket.setTimeout(this.options.timeoutMs ?? 15_000, () => socket.destroy(new Error('connect timed out')));
      // Certificate errors are retried too: an operator's fix ends them, and the alerts wait for it.
      socket.once('error', (err: NodeJS.ErrnoException) => reject(new DeliveryError(`${this.name}: ${err.code ?? err.message}`, true)));
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        socket.setTimeout(0);
        this.connected = socket;
        resolve(socket);
      });
      // The receiver went away: the next alert connects again.
      socket.on('close', () => {
        if (this.connected !== socket) return;
        this.connected = undefined;
        this.tcp = undefined;
      });
      socket.on('error', () => {});
    });
  }
}
