export { sigmaRules, SIGMA_DEFAULTS, type SigmaFile, type SigmaOptions, type SigmaRule } from './rules.js';
export { sigmaCommand, sigmaYaml, sigmaReadme, SIGMA_HELP } from './sigma-command.js';
export { logsource, SERVICE_DEFINITIONS, type McpService } from './logsource.js';
export { toYaml, type YamlValue } from './yaml.js';
export { uuidV5 } from './uuid.js';
export { sigmaTimespan } from './timespan.js';
