import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { RulesConfig } from '@toolwatch/detector';
import { afterAll, describe, expect, it } from 'vitest';
import { sigmaCommand, sigmaReadme, sigmaRules, sigmaYaml, toYaml, uuidV5, type SigmaFile } from '../src/sigma/index.js';
import { correlationRuleSchema, detectionRuleSchema } from './sigma-schemas.js';
import { readYaml, readYamlDocuments } from './sigma-yaml-reader.js';

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validDetection = ajv.compile(detectionRuleSchema);
const validCorrelation = ajv.compile(correlationRuleSchema);

type Rule = Record<string, any>;
const byName = (files: SigmaFile[]) => new Map(files.map((f) => [f.rule.name as string, f]));
const defaults = () => sigmaRules(RulesConfig.parse({}));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('Sigma export', () => {
  it('writes every rule as YAML that reads back to a schema-valid Sigma rule', () => {
    const files = defaults();
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const f of files) {
      const read = readYaml(toYaml(f.rule)) as Rule;
      expect(read).toEqual(f.rule);
      const validate = f.kind === 'correlation' ? validCorrelation : validDetection;
      expect({ file: f.file, errors: validate(read) ? null : validate.errors }).toEqual({ file: f.file, errors: null });
    }
  });

  it('has a base detection rule per MCP span kind, with the documented logsource', () => {
    const rules = byName(defaults());
    const services = ['mcp_tool_call', 'mcp_tools_list', 'mcp_content_to_client'].map((n) => rules.get(n)!.rule.logsource as Rule);
    expect(services.map((l) => [l.category, l.product, l.service])).toEqual([
      ['application', 'mcp', 'tool_call'],
      ['application', 'mcp', 'tools_list'],
      ['application', 'mcp', 'session'],
    ]);
    for (const l of services) expect(l.definition).toMatch(/span/);
  });

  it('gives correlations the types and fields of the three threats, referring to rules that exist', () => {
    const files = defaults();
    const rules = byName(files);
    const correlation = (name: string) => rules.get(name)!.rule.correlation as Rule;
    expect(correlation('mcp_session_call_rate')).toMatchObject({ type: 'event_count', rules: ['mcp_tool_call'], 'group-by': ['toolwatch.session.key'] });
    expect(correlation('mcp_session_distinct_tools')).toMatchObject({ type: 'value_count', condition: { field: 'gen_ai.tool.name' } });
    expect(correlation('mcp_session_egress_bytes')).toMatchObject({ type: 'value_sum', rules: ['mcp_content_to_client'], condition: { field: 'toolwatch.response.bytes' } });
    for (const f of files.filter((x) => x.kind === 'correlation')) {
      expect(f.file).toMatch(/^mr_[a-z0-9_]{7,67}\.yml$/);
      for (const ref of (f.rule.correlation as Rule).rules as string[]) expect(rules.get(ref)?.kind).toBe('detection');
    }
  });

  it('takes thresholds and windows from the detector configuration', () => {
    const rules = RulesConfig.parse({ rate: { windowMs: 90_000, maxCalls: 45, identical: { windowMs: 120_000, hardLimit: 7 } }, egress: { maxSessionBytes: 5_000_000 } });
    const files = byName(sigmaRules(rules, { egressWindowMs: 2 * 3_600_000, distinctTools: { maxTools: 25, windowMs: 600_000 } }));
    const correlation = (name: string) => files.get(name)!.rule.correlation as Rule;
    expect(correlation('mcp_session_call_rate')).toMatchObject({ timespan: '90s', condition: { gt: 45 } });
    expect(correlation('mcp_identical_call_loop')).toMatchObject({ timespan: '2m', condition: { gte: 7 } });
    expect(correlation('mcp_session_egress_bytes')).toMatchObject({ timespan: '2h', condition: { gt: 5_000_000 } });
    expect(correlation('mcp_session_distinct_tools')).toMatchObject({ timespan: '10m', condition: { gt: 25 } });
    expect(files.get('mcp_session_call_rate')!.rule.description).toContain('More than 45 tool calls in 90s');
  });

  it('derives ids from rule names: stable across runs and thresholds, unique across rules', () => {
    const a = defaults();
    const b = sigmaRules(RulesConfig.parse({ rate: { maxCalls: 7 } }));
    expect(a.map((f) => f.rule.id)).toEqual(b.map((f) => f.rule.id));
    expect(new Set(a.map((f) => f.rule.id)).size).toBe(a.length);
    expect(a.find((f) => f.rule.name === 'mcp_tool_call')!.rule.id).toBe(uuidV5('toolwatch/sigma/mcp_tool_call'));
    // RFC 9562 appendix test vector: v5 of "www.example.com" in the DNS namespace.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(sigmaYaml(a)).toBe(sigmaYaml(defaults()));
  });

  it('tags with ATT&CK, SAFE-MCP and OWASP MCP Top 10 ids in the Sigma tag form', () => {
    const tags = defaults().flatMap((f) => (f.rule.tags as string[]) ?? []);
    expect(tags).toEqual(expect.arrayContaining(['safe-mcp.safe-t1106', 'safe-mcp.safe-t1802', 'safe-mcp.safe-t1201', 'attack.credential-access']));
    for (const t of tags) expect(t).toMatch(/^(attack|safe-mcp|detection|owasp-mcp)\./);
    const rules = byName(defaults());
    expect(rules.get('mcp_tool_definition_changed')!.rule.tags).toContain('owasp-mcp.mcp03-2025');
    expect(rules.get('mcp_session_egress_bytes')!.rule.tags).toContain('owasp-mcp.mcp10-2025');
    expect(rules.get('mcp_secret_in_response')!.rule.tags).toContain('owasp-mcp.mcp01-2025');
  });

  it('matches secret findings but not a findings object of personal data or paths only', () => {
    const rule = byName(defaults()).get('mcp_secret_in_response')!.rule.detection as Rule;
    const filter = new RegExp(rule.filter_not_secret['toolwatch.result.findings|re']);
    expect(filter.test('{"email":2,"sensitive-path":1}')).toBe(true);
    expect(filter.test('{"email":2,"aws-access-key-id":1}')).toBe(false);
    expect(filter.test('{"github-token":1}')).toBe(false);
  });

  it('sigma --out writes one file per rule and a README; without --out, one YAML stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolwatch-sigma-'));
    dirs.push(dir);
    const config = join(dir, 'detector.json');
    writeFileSync(config, JSON.stringify({ rules: { rate: { maxCalls: 64 } } }));
    const out = join(dir, 'rules');
    const logs: string[] = [];
    expect(await sigmaCommand(['--config', config, '--out', out], (_l, m) => logs.push(m))).toBe(0);
    const written = readdirSync(out).sort();
    const files = sigmaRules(RulesConfig.parse({ rate: { maxCalls: 64 } }));
    expect(written).toEqual([...files.map((f) => f.file), 'README.md'].sort());
    const rate = readYaml(readFileSync(join(out, 'mr_mcp_session_call_rate.yml'), 'utf8')) as Rule;
    expect(rate.correlation.condition).toEqual({ gt: 64 });
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe(sigmaReadme(files));
    expect(logs.join('\n')).toContain(`wrote ${files.length} Sigma rules`);
    const docs = readYamlDocuments(sigmaYaml(files));
    expect(docs).toEqual(files.map((f) => f.rule));
  });

  it('reads the same with an independent YAML parser, when PyYAML is on the machine', () => {
    let hasPyYaml = true;
    try {
      execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
    } catch {
      hasPyYaml = false;
    }
    if (!hasPyYaml) return; // optional cross-check; the reader above always runs
    const files = defaults();
    const json = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))'], { input: sigmaYaml(files) });
    expect(JSON.parse(json.toString())).toEqual(files.map((f) => f.rule));
  });
});
