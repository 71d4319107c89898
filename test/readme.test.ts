import { readFileSync } from 'node:fs';
import { EXPORTER_ENV_VARIABLES, REGISTER_VARIABLES } from '@toolwatch/collector';
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
});
