import { spawn } from 'node:child_process';

/**
 * The librdkafka mock cluster that Debian's kcat carries: brokers on loopback speaking the
 * real Kafka protocol, in memory, gone when stopped. The bench's own starter (src does not
 * import the tests' helpers); same invocation as test/support/kafka-mock.ts.
 */
export interface MockKafka {
  brokers: string[];
  /** The kcat process, whose CPU time the bench reads. */
  pid: number;
  stop(): Promise<void>;
}

export async function startMockKafka(timeoutMs = 15_000): Promise<MockKafka> {
  const child = spawn('kcat', ['-b', '127.0.0.1:1', '-X', 'test.mock.num.brokers=3', '-C', '-t', 'toolwatch.mock-keepalive', '-d', 'mock', '-q'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const brokers = await new Promise<string[]>((resolve, reject) => {
    let seen = '';
    let found = false;
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`kcat printed no bootstrap.servers within ${timeoutMs} ms`)), timeoutMs);
    child.once('error', (err) => fail(new Error(`cannot start kcat (${err.message}); install it with: apt-get install -y kcat, or pass --brokers`)));
    child.once('exit', (code) => fail(new Error(`kcat exited with code ${code} before the mock cluster was up`)));
    child.stderr.on('data', (chunk: Buffer) => {
      if (found) return; // keep draining: the debug output goes on
      seen = (seen + chunk.toString()).slice(-100_000);
      const match = /bootstrap\.servers=(\S+)/.exec(seen);
      if (!match) return;
      found = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(match[1]!.split(','));
    });
  });
  return {
    brokers,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
