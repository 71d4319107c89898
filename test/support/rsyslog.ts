import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What rsyslog parsed out of one message (its `%jsonmesg%`), as written to its output file. */
export interface SyslogRecord {
  msg: string;
  rawmsg: string;
  hostname: string;
  'app-name': string;
  procid: string;
  msgid: string;
  syslogfacility: string;
  syslogseverity: string;
  'protocol-version': string;
  'structured-data': string;
  timereported: string;
  inputname: string;
}

const RSYSLOGD = '/usr/sbin/rsyslogd';

const freeTcpPort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

const freeUdpPort = () =>
  new Promise<number>((resolve) => {
    const socket = createSocket('udp4').bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/** A self-signed certificate for 127.0.0.1, made with the openssl command. */
function selfSignedCertificate(dir: string) {
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'];
  const made = spawnSync('openssl', [...args, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { cert, key };
}

/**
 * Debian's rsyslogd in the foreground with a configuration of its own: TCP (octet-counted and
 * newline framing) and UDP inputs on loopback, with `tls` a TLS input too (rsyslog-openssl),
 * and every message it receives written to a file as rsyslog parsed it (`%jsonmesg%`: msg,
 * hostname, app-name, …), one JSON object a line.
 */
export async function startRsyslog(options: { tls?: boolean } = {}) {
  if (!existsSync(RSYSLOGD)) throw new Error(`no ${RSYSLOGD}; install it with: apt-get install -y rsyslog (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'tw-rsyslog-'));
  const out = join(dir, 'received.jsonl');
  const [tcpPort, udpPort, tlsPort] = [await freeTcpPort(), await freeUdpPort(), await freeTcpPort()];
  const tls = options.tls ? selfSignedCertificate(dir) : undefined;
  const tlsInput = tls
    ? `input(type="imtcp" address="127.0.0.1" port="${tlsPort}" ruleset="tw" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon" streamDriver.CAFile="${tls.cert}" streamDriver.CertFile="${tls.cert}" streamDriver.KeyFile="${tls.key}")\n`
    : '';
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${dir}")
module(load="imtcp")
module(load="imudp")
template(name="tw_json" type="string" string="%jsonmesg%\\n")
ruleset(name="tw") { action(type="omfile" file="${out}" template="tw_json") }
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="tw")
input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="tw")
${tlsInput}`,
  );
  const check = spawnSync(RSYSLOGD, ['-N1', '-f', conf], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`rsyslog rejected its configuration: ${check.stderr}`);
  const stderr: string[] = [];
  const proc: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  while (!(await canConnect(tcpPort)) || (tls && !(await canConnect(tlsPort)))) {
    if (proc.exitCode !== null) throw new Error(`rsyslogd exited: ${stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    tcpPort,
    udpPort,
    /** With `tls`: the TLS input's port, and the PEM file a client trusts it by. */
    tlsPort,
    caFile: tls?.cert,
    /** Everything received so far (omfile flushes at the end of each batch). Only whole
     * lines: the file may be read while rsyslog is half-way through writing one. */
    received(): SyslogRecord[] {
      if (!existsSync(out)) return [];
      const text = readFileSync(out, 'utf8');
      return text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as SyslogRecord);
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
