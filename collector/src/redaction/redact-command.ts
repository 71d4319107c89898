import { parseArgs } from 'node:util';
import type { FindingCounts, RedactionOptions } from './api.js';
import { redactText, redactValue } from './index.js';
import { describeRules } from './rules.js';

const CLI_DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export const REDACT_HELP = `Usage: toolwatch redact [--text | --json] [--max-bytes <n>] < input > output
       toolwatch redact --list-rules

Reads text or JSON on stdin and writes it to stdout with every secret and piece of
personal data replaced by [REDACTED:<rule>]. A summary of the findings (rule and count,
never a value) goes to stderr. The same rules redact spans inside the MCP server.

Input:
  (default)        JSON if stdin is a JSON object or array, JSON Lines if every line is
                   one, text otherwise
  --text           text, whatever it looks like
  --json           JSON or JSON Lines; anything else is an error
  JSON is walked value by value: keys, strings, numbers, and base64 strings decoded.

Options:
  --max-bytes <n>  scan at most n bytes per document (per line for JSON Lines); the rest
                   is cut off and marked [TRUNCATED], never passed through unscanned
                   (default ${CLI_DEFAULT_MAX_BYTES}; in a server the default is 262144)
  --list-rules     the rules, their kinds and prefilter keywords
  -h, --help       this text

Exit status: 0 when the input was redacted (with or without findings), 2 on bad usage
or when --json input is not JSON.
`;

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface RedactIo {
  stdin: AsyncIterable<string | Uint8Array>;
  stdout: { write(chunk: string, callback: (error?: Error | null) => void): unknown };
}

const PROCESS_IO: RedactIo = { stdin: process.stdin, stdout: process.stdout };

/** `toolwatch redact`: `io` is there for tests; the CLI uses the process's streams. */
export async function redactCommand(argv: string[], log: Log, io: RedactIo = PROCESS_IO): Promise<number> {
  let values: { text?: boolean; json?: boolean; 'max-bytes'?: string; 'list-rules'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        text: { type: 'boolean' },
        json: { type: 'boolean' },
        'max-bytes': { type: 'string' },
        'list-rules': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    log('error', `${(err as Error).message} (see toolwatch redact --help)`);
    return 2;
  }
  const write = (s: string) => new Promise<void>((resolve, reject) => io.stdout.write(s, (e) => (e ? reject(e) : resolve())));
  if (values.help) {
    await write(REDACT_HELP);
    return 0;
  }
  if (values['list-rules']) {
    await write(listRules());
    return 0;
  }
  if (values.text && values.json) {
    log('error', '--text and --json exclude each other');
    return 2;
  }
  let maxBytes = CLI_DEFAULT_MAX_BYTES;
  if (values['max-bytes'] !== undefined) {
    if (!/^\d+$/.test(values['max-bytes'])) {
      log('error', `--max-bytes takes a whole number of bytes, not "${values['max-bytes'].slice(0, 32)}"`);
      return 2;
    }
    maxBytes = Number(values['max-bytes']);
  }

  const input = await readAll(io.stdin);
  const options: RedactionOptions = { maxBytes };
  const mode = values.text ? 'text' : detectJson(input, values.json === true);
  if (mode === undefined) {
    // Say where, never what: the input may be full of secrets.
    log('error', 'stdin is not JSON or JSON Lines (run without --json to redact it as text)');
    return 2;
  }

  const findings: FindingCounts = {};
  let truncated = 0;
  const add = (r: { findings: FindingCounts; truncated: boolean }) => {
    for (const [rule, n] of Object.entries(r.findings)) findings[rule] = (findings[rule] ?? 0) + n;
    if (r.truncated) truncated++;
  };
  let output: string;
  if (mode === 'text') {
    const r = redactText(input, options);
    add(r);
    output = r.text;
  } else if (mode === 'json') {
    const r = redactValue(JSON.parse(input) as unknown, options);
    add(r);
    const pretty = /\n\s/.test(input.trim());
    output = JSON.stringify(r.value, null, pretty ? 2 : undefined) + (input.endsWith('\n') ? '\n' : '');
  } else {
    output = input
      .split('\n')
      .map((line) => {
        if (line.trim() === '') return line;
        const r = redactValue(JSON.parse(line) as unknown, options);
        add(r);
        return JSON.stringify(r.value);
      })
      .join('\n');
  }
  await write(output);

  const summary = Object.entries(findings)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([rule, n]) => `${rule} ${n}`);
  const total = Object.values(findings).reduce((a, b) => a + b, 0);
  log('info', total === 0 ? `redact (${mode}): no findings` : `redact (${mode}): ${total} finding${total === 1 ? '' : 's'}: ${summary.join(', ')}`);
  if (truncated > 0) {
    log('warn', `${truncated === 1 ? 'input' : `${truncated} documents`} longer than --max-bytes ${maxBytes}: cut off and marked [TRUNCATED]`);
  }
  return 0;
}

async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** 'json' for one JSON document, 'jsonl' for JSON Lines, 'text' otherwise (or undefined
 * when JSON was demanded and this is neither). */
function detectJson(input: string, required: boolean): 'json' | 'jsonl' | 'text' | undefined {
  const trimmed = input.trim();
  const looksLikeJson = required || trimmed.startsWith('{') || trimmed.startsWith('[');
  if (looksLikeJson && trimmed !== '') {
    try {
      JSON.parse(trimmed);
      return 'json';
    } catch {
      // one JSON value per line, perhaps
    }
    const lines = trimmed.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > 1 && lines.every(parses)) return 'jsonl';
  }
  return required ? undefined : 'text';
}

function parses(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function listRules(): string {
  const rules = describeRules();
  const width = Math.max(...rules.map((r) => r.id.length));
  const lines = rules.map((r) => `${r.id.padEnd(width)}  ${r.kind.padEnd(6)}  ${r.description}\n${' '.repeat(width + 10)}prefilter: ${r.keywords.join(' ')}`);
  return `${rules.length} rules (findings name the rule, never the value):\n\n${lines.join('\n')}\n`;
}
