import { DetectionEngine, RulesConfig } from '@toolwatch/detector';
import { describe, expect, it } from 'vitest';
import { BENIGN_FAMILIES, EVAL_DEFAULTS, formatReport, generateCorpus, HOSTILE_FAMILIES, runEval } from '../src/eval/index.js';

// The detector is being reworked: its figures are printed here, never asserted. What is
// asserted is that the evaluation runs, quickly, and reports every family.
describe('toolwatch eval on the default corpus', () => {
  it('scores every family with the current detector in a few seconds, and prints the table', () => {
    const started = performance.now();
    const corpus = generateCorpus({ ...EVAL_DEFAULTS });
    const report = runEval({ corpus, detector: new DetectionEngine(RulesConfig.parse({})) });
    const seconds = (performance.now() - started) / 1000;
    console.log(`${formatReport(report)}(${report.spans} spans generated and scored in ${seconds.toFixed(1)} s)`);

    expect(report.families.map((f) => f.family)).toEqual([...HOSTILE_FAMILIES, ...BENIGN_FAMILIES]);
    expect(report.total).toMatchObject({ benignSessions: EVAL_DEFAULTS.benign, hostileSessions: EVAL_DEFAULTS.hostile });
    for (const f of report.families.filter((x) => x.hostile)) {
      expect(f.recall).toBeGreaterThanOrEqual(0);
      expect(f.recall).toBeLessThanOrEqual(1);
      expect(f.nab!.standard).toBeLessThanOrEqual(100);
    }
    // Generous for a loaded two-core machine; alone it takes about three seconds.
    expect(seconds).toBeLessThan(30);

    // Same corpus, fresh engine: the same figures (event time, no wall clock).
    expect(runEval({ corpus, detector: new DetectionEngine(RulesConfig.parse({})) })).toEqual(report);
  });
});
