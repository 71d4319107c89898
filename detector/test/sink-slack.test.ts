import { SlackSink, slackMessage } from '@toolwatch/detector';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryFailure, hostileAlert, sampleAlert } from '../../test/support/alerts.js';
import { startSlack } from '../../test/support/siem-receivers.js';
import { SlackMessage } from '../../test/support/siem-schemas.js';

let slack: Awaited<ReturnType<typeof startSlack>> | undefined;
afterEach(async () => {
  await slack?.stop();
  slack = undefined;
});

describe('Slack message', () => {
  it('holds Block Kit limits with a text fallback, for long and hostile alerts', () => {
    for (const alert of [sampleAlert(), hostileAlert({ status: 'closed' }), sampleAlert({ title: 'x'.repeat(256), sessionKey: 'k'.repeat(5000), tool: '' })])
      expect(SlackMessage.safeParse(slackMessage(alert)).error).toBeUndefined();
  });

  it('shows every byte measure as a size, qualified units too', () => {
    const evidence = { ...sampleAlert().evidence, observed: 786_432, threshold: 262_144, unit: 'bytes without the largest response' };
    const all = JSON.stringify(slackMessage(sampleAlert({ evidence })));
    expect(all).toContain('768.0 KiB without the largest response');
    expect(all).not.toContain('786432');
  });

  it('escapes &, < and > so a title cannot mention @channel or forge a link', () => {
    const message = slackMessage(hostileAlert());
    const all = JSON.stringify(message);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<https://evil');
    expect(message.text).toContain('&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; é 日本 🚀');
  });
});

describe('Slack sink', () => {
  it('posts to the webhook, which answers ok', async () => {
    slack = await startSlack();
    const sink = new SlackSink({ url: slack.url, minIntervalMs: 0 });
    await sink.deliver(sampleAlert());
    await sink.deliver(hostileAlert());
    expect(slack.rejected).toEqual([]);
    expect(slack.accepted).toHaveLength(2);
    expect(slack.accepted[0]!.text).toContain('Session read 12.0 MiB');
  });

  it('honours Retry-After on 429, does not retry 400/403/404, stops on 410; the token path never shows', async () => {
    slack = await startSlack();
    const sink = new SlackSink({ url: slack.url, minIntervalMs: 0 });
    slack.failNext(
      { status: 429, headers: { 'retry-after': '30' }, body: 'rate_limited' },
      { status: 400, body: 'invalid_payload' },
      { status: 403, body: 'action_prohibited' },
      { status: 410, body: 'channel_is_archived' },
    );
    const limited = await deliveryFailure(sink.deliver(sampleAlert()));
    expect(limited).toMatchObject({ retryable: true, retryAfterMs: 30_000, message: `slack ${slack.origin}: HTTP 429` });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: false });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: false });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ disable: true });
    expect(sink.name).not.toContain('s3cr3t');
  });
});
