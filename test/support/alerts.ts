import { alertId, type AlertRecord } from '@toolwatch/schemas';

const T0 = 1_764_000_000_000n * 1_000_000n;

/** An alert record as the detector makes it, for tests of what carries alerts. */
export function sampleAlert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  const session = overrides.sessionKey ?? 'sess-1';
  return {
    id: alertId('egress.session_bytes', session, String(T0)),
    status: 'open',
    revision: 0,
    rule: 'egress.session_bytes',
    kind: 'egress',
    severity: 'high',
    score: 82.5,
    title: 'Session read 12.0 MiB, 9.1x its client baseline',
    sessionKey: session,
    serviceName: 'filesystem',
    clientName: 'claude-desktop',
    clientVersion: '0.14.2',
    tool: 'read_file',
    windowStart: String(T0),
    firstEventTime: String(T0),
    lastEventTime: String(T0 + 61_500_000_000n),
    evidence: {
      observed: 12_582_912,
      baseline: 1_382_000,
      threshold: 1_796_600,
      unit: 'bytes',
      windowMs: 60_000,
      spanIds: ['00f067aa0ba902b7'],
      traceIds: ['4bf92f3577b34da6a3ce929d0e0e4736'],
    },
    tags: ['safe-mcp:SAFE-T1802', 'owasp-mcp:MCP10:2025'],
    sessionScore: 82.5,
    ...overrides,
  };
}

/** Everything a CEF line, a JSON body or Slack mrkdwn must survive: pipes, equals signs,
 * backslashes, line breaks, markup, non-ASCII (accents, CJK, an emoji outside the BMP). */
export const HOSTILE_TEXT = 'a|b=c \\d\\| x\\=y\nnext\r\nline <!channel> <https://evil.example|click> & é 日本 🚀 end\\';

export function hostileAlert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return sampleAlert({
    title: `Tool ${HOSTILE_TEXT}`.slice(0, 256),
    sessionKey: 'sess=|\\ 1',
    tool: 'read|file=x\\',
    serviceName: 'fs server=1',
    clientName: 'agent|é',
    ...overrides,
  });
}

/** The error a delivery failed with; a test failure if it succeeded. */
export async function deliveryFailure(attempt: Promise<void>): Promise<{ message: string; retryable: boolean; retryAfterMs?: number; disable: boolean }> {
  try {
    await attempt;
  } catch (err) {
    return err as { message: string; retryable: boolean; retryAfterMs?: number; disable: boolean };
  }
  throw new Error('expected the delivery to fail');
}
