import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benignCorpus } from './bench-corpus.js';
import { redactText, redactValue, scanText, scanValue } from './index.js';
import { secretlintScan } from './secretlint-baseline.js';

/**
 * Redaction throughput, ours against secretlint, on the same benign corpus in the same
 * process, one document (one tool argument or result) per call, as on the request path.
 * Single-threaded, so the figures are per core. Run directly:
 *   node collector/dist/redaction/bench.js
 */

export interface RedactionBench {
  oursMBps: number;
  secretlintMBps: number;
  /** ours / secretlint */
  ratio: number;
  corpusBytes: number;
}

const MB = 1e6;
const CORPUS_BYTES = 4 * 1024 * 1024;

function utf8Bytes(docs: readonly string[]): number {
  return docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
}

/** Median MB/s of `runs` timed passes after `warmup` untimed ones. */
function measure(bytes: number, pass: () => void, runs = 5, warmup = 2): number {
  for (let i = 0; i < warmup; i++) pass();
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    pass();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(bytes / MB / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

async function measureAsync(bytes: number, pass: () => Promise<void>, runs = 3): Promise<number> {
  await pass(); // warm-up: secretlint compiles its rules lazily
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await pass();
    rates.push(bytes / MB / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

export async function benchRedaction(): Promise<RedactionBench> {
  const docs = benignCorpus(CORPUS_BYTES);
  const corpusBytes = utf8Bytes(docs);
  let sink = 0;
  const oursMBps = measure(corpusBytes, () => {
    for (const d of docs) sink += scanText(d).findings.length;
  });
  const secretlintMBps = await measureAsync(corpusBytes, async () => {
    for (const d of docs) sink += (await secretlintScan(d)).findings.length;
  });
  if (sink < 0) console.log(sink); // keeps the work observable
  return { oursMBps, secretlintMBps, ratio: oursMBps / secretlintMBps, corpusBytes };
}

/** The same comparison on the corpus joined into 64 KiB chunks: per-call overhead counts
 * less there, which favours secretlint. */
export async function benchRedactionChunked(chunkBytes = 64 * 1024): Promise<RedactionBench> {
  const joined = benignCorpus(CORPUS_BYTES).join('\n');
  const chunks: string[] = [];
  for (let i = 0; i < joined.length; i += chunkBytes) chunks.push(joined.slice(i, i + chunkBytes));
  const corpusBytes = utf8Bytes(chunks);
  let sink = 0;
  const oursMBps = measure(corpusBytes, () => {
    for (const c of chunks) sink += scanText(c).findings.length;
  });
  const secretlintMBps = await measureAsync(corpusBytes, async () => {
    for (const c of chunks) sink += (await secretlintScan(c)).findings.length;
  });
  if (sink < 0) console.log(sink);
  return { oursMBps, secretlintMBps, ratio: oursMBps / secretlintMBps, corpusBytes };
}

/** The other entry points on the same corpus: text redaction, and values walked as the
 * parsed JSON (what the instrumentation hands over). Bytes are those of the JSON text. */
export function benchEntryPoints(): Record<'redactText' | 'scanValue' | 'redactValue', number> {
  const docs = benignCorpus(CORPUS_BYTES);
  const bytes = utf8Bytes(docs);
  const values = docs.map((d): unknown => {
    try {
      return JSON.parse(d);
    } catch {
      return d;
    }
  });
  let sink = 0;
  const result = {
    redactText: measure(bytes, () => {
      for (const d of docs) sink += redactText(d).text.length;
    }),
    scanValue: measure(bytes, () => {
      for (const v of values) sink += scanValue(v).truncated ? 1 : 0;
    }),
    redactValue: measure(bytes, () => {
      for (const v of values) sink += redactValue(v).truncated ? 1 : 0;
    }),
  };
  if (sink < 0) console.log(sink);
  return result;
}

/** Hostile inputs at the default cap (256 KiB): the slowest, in milliseconds per call.
 * Each is a repetition chosen to make some rule work at every position. */
export function benchAdversarial(): { worstMs: number; worstInput: string; cases: Record<string, number> } {
  const size = 256 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const inputs: Record<string, string> = {
    'a@ repeated': fill('a@'),
    'local part then @': `${fill('a.b')}@`,
    'eyJ… without dots': fill('eyJhbGciOiJIUzI1NiJ9'),
    'eyJ… with dots': fill('eyJaaaaaaa.'),
    'digits': fill('1'),
    'digit groups': fill('4111 '),
    'card numbers': fill('4111 1111 1111 1111 '),
    'phone shapes': fill('(415) 555-'),
    'trunk phone shapes': fill(' 01 23'),
    '+ digits': fill('+1 2'),
    'password=': fill('password='),
    'password: "': fill('password:"'),
    'token = long value': fill(`token = ${'a1'.repeat(200)} `),
    'authorization: ': fill('authorization: '),
    'cookie: a=1 ': fill('cookie: a=1 '),
    ':// userinfo': fill('://a:b'),
    'PEM body without END': `-----BEGIN PRIVATE KEY-----\n${fill('QUJD')}`,
    'PEM headers': fill('-----BEGIN PRIVATE KEY-----'),
    'IBAN shapes': fill('DE89 3704 '),
    'vendor prefixes': fill('sk-ghp_xoxb-AKIAglpat-'),
    'JSON escapes': fill('\\n'),
    'base64 blob': fill('QUJDRA=='),
  };
  const cases: Record<string, number> = {};
  let worstMs = 0;
  let worstInput = '';
  for (const [name, text] of Object.entries(inputs)) {
    redactText(text); // warm-up
    const t0 = process.hrtime.bigint();
    redactText(text);
    redactValue({ text });
    const ms = Number(process.hrtime.bigint() - t0) / 2e6;
    cases[name] = Math.round(ms * 10) / 10;
    if (ms > worstMs) {
      worstMs = ms;
      worstInput = name;
    }
  }
  return { worstMs: Math.round(worstMs * 10) / 10, worstInput, cases };
}

async function main(): Promise<void> {
  const fmt = (n: number) => n.toFixed(1).padStart(8);
  const r = await benchRedaction();
  console.log(`redaction benchmark: ${(r.corpusBytes / MB).toFixed(1)} MB benign MCP-shaped corpus, one call per document, one core (Node ${process.version})`);
  console.log(`  toolwatch scanText        ${fmt(r.oursMBps)} MB/s`);
  console.log(`  secretlint 11.7.1 preset  ${fmt(r.secretlintMBps)} MB/s`);
  console.log(`  ratio                     ${fmt(r.ratio)} ×`);
  const c = await benchRedactionChunked();
  console.log(`same corpus in 64 KiB chunks:`);
  console.log(`  toolwatch scanText        ${fmt(c.oursMBps)} MB/s`);
  console.log(`  secretlint 11.7.1 preset  ${fmt(c.secretlintMBps)} MB/s`);
  console.log(`  ratio                     ${fmt(c.ratio)} ×`);
  console.log(`other entry points, one call per document:`);
  const e = benchEntryPoints();
  console.log(`  toolwatch redactText      ${fmt(e.redactText)} MB/s`);
  console.log(`  toolwatch scanValue       ${fmt(e.scanValue)} MB/s (parsed JSON; bytes of its text)`);
  console.log(`  toolwatch redactValue     ${fmt(e.redactValue)} MB/s`);
  const a = benchAdversarial();
  console.log(`adversarial inputs at 256 KiB (redactText and redactValue, ms per call):`);
  for (const [name, ms] of Object.entries(a.cases)) console.log(`  ${name.padEnd(28)} ${fmt(ms)} ms`);
  console.log(`  worst: ${a.worstInput}, ${a.worstMs} ms`);
}

const invoked = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invoked) await main();
