import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The librdkafka mock cluster (Debian's kcat): three brokers on loopback that speak the
 * real Kafka wire protocol. Topics are auto-created with 4 partitions on first use;
 * CreateTopics is not supported; everything is in memory and gone when it stops.
 */
export interface KafkaMock {
  brokers: string[];
  pid: number;
  /** Freezes the brokers (clients see time-outs) until `resume`. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startKafkaMock(timeoutMs = 15_000): Promise<KafkaMock> {
  const child: ChildProcess = spawn(
    'kcat',
    ['-b', '127.0.0.1:1', '-X', 'test.mock.num.brokers=3', '-C', '-t', 'toolwatch.mock-keepalive', '-d', 'mock', '-q'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const brokers = await new Promise<string[]>((resolve, reject) => {
    let seen = '';
    let found = false;
    const timer = setTimeout(() => fail(new Error(`kcat printed no bootstrap.servers within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', (err) =>
      fail(new Error(`cannot start kcat (${err.message}); install it with: apt-get install -y kcat`)),
    );
    child.once('exit', (code) => fail(new Error(`kcat exited with code ${code} before the mock cluster was up`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      if (found) return; // keep draining: the debug output goes on
      seen += chunk.toString();
      const match = /bootstrap\.servers=(\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        found = true;
        resolve(match[1]!.split(','));
      } else if (seen.length > 1_000_000) {
        seen = seen.slice(-10_000);
      }
    });
  });
  const pid = child.pid!;
  return {
    brokers,
    pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(pid, 'SIGCONT');
        child.kill('SIGTERM');
      }),
  };
}
