/**
 * A benign corpus shaped like MCP traffic, for the redaction benchmark: tool calls and
 * their JSON arguments, text results, search listings full of ids, hashes, timestamps and
 * URLs, log excerpts, source files and markdown. No secret or personal data on purpose:
 * this is the text that must cost little. Seeded, so every run measures the same bytes.
 */

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Ordinary words, with the ones that are also rule keywords (token, key, secret, password,
// auth, session) at a natural rate, so the prefilter's hits cost what they cost.
const WORDS = (
  'the of and to in is that for it as with was on be by this are or from at which an have not were but all can has ' +
  'will one their there more when if about out what so up would other into them than its some could time these two ' +
  'may first then do any like now over such our new also after use how most should where well through file server ' +
  'request response client tool call result query search index table column value field record user order payment ' +
  'invoice report build deploy release version update config setting cache queue worker job task event stream ' +
  'message error warning retry timeout latency throughput region cluster node pod service endpoint route handler ' +
  'schema model prompt context completion embedding vector document chunk page section summary review approve ' +
  'merge branch commit diff patch test coverage lint format token key secret password auth session login résumé café'
).split(' ');

const HEX = '0123456789abcdef';

export function benignCorpus(totalBytes: number, seed = 1): string[] {
  const r = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
  const int = (n: number) => Math.floor(r() * n);
  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += HEX[int(16)];
    return s;
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  const iso = () => new Date(1_690_000_000_000 + int(60_000_000_000)).toISOString();
  const sentence = () => {
    const n = 6 + int(16);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(pick(WORDS));
    const s = words.join(' ');
    return `${s[0]?.toUpperCase()}${s.slice(1)}${pick(['.', '.', '.', '?', '!', ':'])}`;
  };
  const paragraph = (n: number) => Array.from({ length: n }, sentence).join(' ');
  const path = () => `/srv/${pick(['app', 'api', 'web', 'data'])}/${pick(WORDS)}/${pick(WORDS)}${pick(['.ts', '.py', '.md', '.json', '.go'])}`;
  const url = () => `https://${pick(['github.com', 'docs.example.com', 'api.example.org', 'cdn.example.net'])}/${pick(WORDS)}/${hex(7)}?page=${int(40)}&sort=${pick(['asc', 'desc'])}`;

  const documents: (() => string)[] = [
    // tools/call request
    () =>
      JSON.stringify({
        jsonrpc: '2.0',
        id: int(100_000),
        method: 'tools/call',
        params: {
          name: pick(['search_docs', 'read_file', 'list_issues', 'run_query', 'get_weather', 'create_ticket']),
          arguments: { query: sentence(), path: path(), limit: 1 + int(50), cursor: uuid(), include_archived: r() < 0.5, max_tokens: 256 * (1 + int(16)) },
          _meta: { progressToken: int(1000) },
        },
      }),
    // text result
    () => JSON.stringify({ jsonrpc: '2.0', id: int(100_000), result: { content: [{ type: 'text', text: paragraph(4 + int(20)) }], isError: false } }),
    // search listing
    () =>
      JSON.stringify({
        jsonrpc: '2.0',
        id: int(100_000),
        result: {
          structuredContent: {
            total: int(10_000),
            items: Array.from({ length: 3 + int(25) }, () => ({
              id: uuid(),
              sha: hex(40),
              title: sentence(),
              url: url(),
              created_at: iso(),
              updated_ms: 1_700_000_000_000 + int(90_000_000_000),
              size: int(5_000_000),
              checksum: `sha256:${hex(64)}`,
              version: `${int(5)}.${int(30)}.${int(100)}`,
              score: Math.round(r() * 1e4) / 1e4,
              tags: [pick(WORDS), pick(WORDS)],
            })),
          },
        },
      }),
    // log excerpt
    () =>
      Array.from(
        { length: 10 + int(60) },
        () =>
          `${iso()} ${pick(['INFO', 'WARN', 'DEBUG', 'ERROR'])} [${pick(WORDS)}] req=${uuid()} ${pick(['GET', 'POST', 'PUT'])} /v1/${pick(WORDS)}/${int(99_999)} ` +
          `status=${pick([200, 200, 201, 204, 404, 500])} dur=${int(900)}ms bytes=${int(100_000)} ip=10.${int(255)}.${int(255)}.${int(255)}`,
      ).join('\n'),
    // source file read through a filesystem tool
    () =>
      [
        `import { ${pick(WORDS)} } from '@scope/${pick(WORDS)}';`,
        `// ${sentence()}`,
        ...Array.from({ length: 10 + int(50) }, () =>
          pick([
            `export function ${pick(WORDS)}${pick(['Value', 'Record', 'Handler'])}(input: string, limit = ${int(100)}): boolean {`,
            `  const ${pick(WORDS)} = await client.${pick(WORDS)}({ id: '${uuid()}', retries: ${int(5)} });`,
            `  if (result.status !== ${pick([200, 404, 500])}) throw new Error('${sentence()}');`,
            `  return items.filter((x) => x.${pick(WORDS)} > ${int(1000)});`,
            '}',
            `// TODO(${pick(WORDS)}): ${sentence()}`,
          ]),
        ),
      ].join('\n'),
    // markdown
    () => `# ${sentence()}\n\n${paragraph(3 + int(6))}\n\n- ${sentence()}\n- ${sentence()}\n\n\`\`\`sh\nnpm install @scope/${pick(WORDS)}@${int(9)}.${int(20)}.${int(9)}\n\`\`\`\n\nSee ${url()} and commit ${hex(40)}.\n`,
  ];

  const out: string[] = [];
  let bytes = 0;
  while (bytes < totalBytes) {
    const doc = pick(documents)();
    out.push(doc);
    bytes += Buffer.byteLength(doc);
  }
  return out;
}
