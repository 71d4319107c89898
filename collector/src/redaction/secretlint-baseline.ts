import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';

/**
 * secretlint (11.x, the last line that runs on Node 20) with its recommended preset: the
 * maintained reference our rules are checked and timed against. Async and per call
 * heavier than ours, so it is for tests and the benchmark, not for the request path.
 * Only rule ids and ranges come out: secretlint is asked to mask what it found.
 */

export interface SecretlintFinding {
  /** e.g. `@secretlint/secretlint-rule-github` */
  ruleId: string;
  /** e.g. `GITHUB_TOKEN` */
  messageId: string;
  start: number;
  end: number;
}

export interface SecretlintScan {
  findings: SecretlintFinding[];
  /** `<rule>/<messageId>` → count */
  counts: Record<string, number>;
}

type LintOptions = Parameters<typeof lintSource>[0]['options'];

const OPTIONS: LintOptions = {
  config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] },
  maskSecrets: true,
  noPhysicFilePath: true,
};

export async function secretlintScan(text: string): Promise<SecretlintScan> {
  const result = await lintSource({
    source: { content: text, filePath: '/toolwatch/input.txt', ext: '.txt', contentType: 'text' },
    options: OPTIONS,
  });
  const findings: SecretlintFinding[] = [];
  const counts: Record<string, number> = {};
  for (const m of result.messages) {
    const [start, end] = m.range;
    findings.push({ ruleId: m.ruleId, messageId: m.messageId, start, end });
    const key = `${m.ruleId.replace('@secretlint/secretlint-rule-', '')}/${m.messageId}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return { findings, counts };
}
