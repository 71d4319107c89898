export { generateCorpus, warmupCount, PROBATION, EPOCH_MS, type CorpusOptions } from './corpus.js';
export { BENIGN_FAMILIES, HOSTILE_FAMILIES, recordsBySession, type BenignFamily, type HostileFamily, type Family, type SessionLabel, type Corpus } from './labels.js';
export { NAB_PROFILES, nabScore, scoreFile, scaledSigmoid, type NabProfile, type NabProfileName, type NabFile, type NabWindow, type NabResult } from './nab.js';
export {
  runEval,
  placeAlerts,
  scoreAlerts,
  EVAL_DEFAULTS,
  type Detector,
  type PlacedAlert,
  type EvalOptions,
  type EvalReport,
  type EvalTotals,
  type FamilyFigures,
  type NabFigures,
} from './evaluate.js';
export { formatReport } from './report-format.js';
export { evalCommand, loadRules, EVAL_HELP } from './eval-command.js';
export { Rng } from './prng.js';
