import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeGrafanaFiles } from './files.js';

const HELP = `Usage: toolwatch dashboards [--out <dir>]

Writes the Grafana dashboards (JSON) and provisioning files (ClickHouse datasource,
dashboard provider, alert rules and webhook contact point) built from dashboards/src
into <dir> (default deploy/grafana).
`;

export async function dashboardsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  for (const file of writeGrafanaFiles(resolve(values.out ?? 'deploy/grafana'))) process.stdout.write(`${file}\n`);
  return 0;
}
