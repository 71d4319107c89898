import { describe, expect, it } from 'vitest';
import { redactValue, scanText, scanValue } from '../src/redaction/index.js';

const found = (text: string) => scanText(text).findings.filter((f) => f.rule === 'sensitive-path').map((f) => text.slice(f.start, f.end));

describe('sensitive-path rule', () => {
  it('flags credential files as whole path tokens', () => {
    expect(found('cat /home/dev/project/.env')).toEqual(['/home/dev/project/.env']);
    expect(found('{"path":"~/.ssh/id_ed25519"}')).toEqual(['~/.ssh/id_ed25519']);
    expect(found('read /etc/shadow and /etc/passwd')).toEqual(['/etc/shadow', '/etc/passwd']);
    expect(found('.env.production')).toEqual(['.env.production']);
    expect(found('C:\\Users\\me\\.aws\\credentials')).toEqual(['C:\\Users\\me\\.aws\\credentials']);
  });

  it('leaves code and prose alone', () => {
    for (const text of ['process.env.HOME', 'my_id_rsa_parser', 'read .envrc', 'the environment', 'docs/dotenv.md', 'import.meta.env.VITE_X']) {
      expect(found(text), text).toEqual([]);
    }
  });

  it('counts in tool arguments, as the detector reads them', () => {
    expect(scanValue({ path: '/srv/app/.env' }).findings).toEqual({ 'sensitive-path': 1 });
    expect(redactValue({ path: '/srv/app/.env' }).value).toEqual({ path: '[REDACTED:sensitive-path]' });
  });
});
