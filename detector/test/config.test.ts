import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadDetectorConfig, parseDetectorConfig } from '@toolwatch/detector';
import { describe, expect, it } from 'vitest';

describe('detector configuration', () => {
  it('fills every default from an empty object', () => {
    const config = parseDetectorConfig({});
    expect(config.kafka).toBeUndefined();
    expect(config.clickhouse.dataDir).toBe('./data/clickhouse');
    expect(config.rules.rate).toMatchObject({ windowMs: 60_000, maxCalls: 600, identical: { hardLimit: 10 }, history: { minSessions: 10 } });
    expect(config.rules.egress.maxSessionBytes).toBe(10 * 1_048_576);
    expect(config.rules.egress.baseline.warmUp).toBe(30);
  });

  it('names a misspelt key instead of ignoring it', () => {
    expect(() => parseDetectorConfig({ rules: { rate: { maxCall: 10 } } })).toThrow(/unknown key: rules\.rate\.maxCall/);
    expect(() => parseDetectorConfig({ kafak: {} })).toThrow(ConfigError);
  });

  it('rejects a webhook secret that is not a Standard Webhooks secret, without echoing it', () => {
    const secret = 'hunter2-not-a-whsec';
    let message = '';
    try {
      parseDetectorConfig({ webhooks: [{ url: 'https://siem.example/hook', secret }] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/webhooks\.0\.secret/);
    expect(message).not.toContain(secret);
  });

  it('overlays the environment on the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-config-'));
    const file = join(dir, 'detector.json');
    writeFileSync(file, JSON.stringify({ kafka: { brokers: ['a:9092'], groupId: 'g1' }, rules: { rate: { maxCalls: 5 } } }));
    const config = loadDetectorConfig(file, { TOOLWATCH_KAFKA_BROKERS: 'b:9092, c:9092', TOOLWATCH_DATA_DIR: '/var/lib/tw' });
    expect(config.kafka).toMatchObject({ brokers: ['b:9092', 'c:9092'], groupId: 'g1', topic: 'toolwatch.spans' });
    expect(config.clickhouse.dataDir).toBe('/var/lib/tw/clickhouse');
    expect(config.rules.rate.maxCalls).toBe(5);
  });

  it('says which file is missing or broken', () => {
    expect(() => loadDetectorConfig('/nonexistent/detector.json', {})).toThrow(/cannot read \/nonexistent\/detector.json: ENOENT/);
    const dir = mkdtempSync(join(tmpdir(), 'tw-config-'));
    writeFileSync(join(dir, 'bad.json'), '{ "rules": ');
    expect(() => loadDetectorConfig(join(dir, 'bad.json'), {})).toThrow(/bad\.json is not valid JSON/);
    expect(() => loadDetectorConfig(undefined, { TOOLWATCH_WEBHOOK_URL: 'http://127.0.0.1:9/h' })).toThrow(/TOOLWATCH_WEBHOOK_SECRET/);
  });

  it('accepts the example deployment configuration', () => {
    const example = JSON.parse(readFileSync(new URL('../../deploy/detector.example.json', import.meta.url), 'utf8'));
    const config = parseDetectorConfig(example, 'deploy/detector.example.json');
    expect(config.kafka?.brokers).toHaveLength(3);
    expect(config.clickhouse.ttlDays).toBe(90);
  });
});
