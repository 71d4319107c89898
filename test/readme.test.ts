import { readFileSync } from 'node:fs';
import { EXPORTER_ENV_VARIABLES, REGISTER_VARIABLES } from '@toolwatch/collector';
import { parseDetectorConfig } from '@toolwatch/detector';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every environment variable the code reads, with its default', () => {
    for (const v of [...EXPORTER_ENV_VARIABLES, ...REGISTER_VARIABLES]) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${v.name}\` |`));
      expect(row, v.name).toBeDefined();
      expect(row).toContain(v.default);
    }
  });

  it('shows the detector configuration defaults as the code has them', () => {
    const block = readme.split('### Detector configuration')[1]!.split('```json\n')[1]!.split('```')[0]!;
    const shown = JSON.parse(block) as Record<string, unknown>;
    const defaults = parseDetectorConfig({});
    expect(shown.rules).toEqual(defaults.rules);
    expect(shown.state).toEqual(defaults.state);
    expect(shown.clickhouse).toEqual(defaults.clickhouse);
  });
});
