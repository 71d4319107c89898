import type { AlertRecord, Severity } from '@toolwatch/schemas';
import { safeOrigin, type AlertSink } from './alert-sink.js';
import { formatBytes } from '../scorers/format.js';
import { expectOk, post } from './http-post.js';

export interface SlackOptions {
  /** The incoming webhook URL; its path is the secret. */
  url: string;
  /** Slack takes about one message a second per webhook; alerts wait their turn. */
  minIntervalMs?: number;
  timeoutMs?: number;
}

const ICON: Record<Severity, string> = { critical: ':rotating_light:', high: ':red_circle:', medium: ':large_orange_circle:', low: ':large_yellow_circle:', info: ':white_circle:' };

/** Slack's three control characters; escaped, a hostile title cannot `<!channel>` or forge a link. */
export const slackEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Byte measures read as sizes; egress units qualify them ("bytes without the largest response"). */
const measure = (value: number, unit: string) => (/^bytes\b/.test(unit) ? `${formatBytes(value)}${unit.slice('bytes'.length)}` : `${value} ${unit}`);

/** An alert as a Slack message: `text` for notifications and clients without blocks, and blocks. */
export function slackMessage(alert: AlertRecord) {
  const title = slackEscape(alert.title);
  const { evidence } = alert;
  const state = alert.status === 'closed' ? 'closed (session ended)' : alert.status;
  const fields = [
    `*Severity*\n${ICON[alert.severity]} ${alert.severity} (score ${Math.round(alert.score)})`,
    `*Rule*\n\`${slackEscape(alert.rule)}\``,
    `*Server*\n${slackEscape(alert.serviceName)}`,
    `*Client*\n${slackEscape(`${alert.clientName} ${alert.clientVersion}`)}`,
    `*Observed*\n${measure(evidence.observed, evidence.unit)} (threshold ${measure(evidence.threshold, evidence.unit)})`,
    `*Session*\n\`${slackEscape(alert.sessionKey.slice(0, 200))}\``,
  ];
  if (alert.tool) fields.push(`*Tool*\n\`${slackEscape(alert.tool)}\``);
  return {
    text: `${ICON[alert.severity]} toolwatch ${alert.severity} alert (${state}): ${title}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${ICON[alert.severity]} *${title}*` } },
      { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text: text.slice(0, 2000) })) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${state} · revision ${alert.revision} · alert ${alert.id.slice(0, 16)} · ${slackEscape(alert.tags.join(' '))}` }] },
    ],
  };
}

/** A Slack incoming webhook. Slack answers `ok`, or 4xx with a reason; 429 with Retry-After. */
export class SlackSink implements AlertSink {
  readonly name: string;
  private lastSent = 0;

  constructor(private readonly options: SlackOptions) {
    this.name = `slack ${safeOrigin(options.url)}`;
  }

  async deliver(alert: AlertRecord): Promise<void> {
    const wait = this.lastSent + (this.options.minIntervalMs ?? 1_000) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.lastSent = Date.now();
    const body = JSON.stringify(slackMessage(alert));
    await expectOk(this.name, await post(this.name, { url: this.options.url, headers: { 'content-type': 'application/json' }, body, timeoutMs: this.options.timeoutMs }));
  }
}
