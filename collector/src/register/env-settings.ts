import type { CapturePolicy } from '../observer/mcp-observer.js';

/** The zero-code settings, from `TOOLWATCH_*` (the exporter's own are in exporters/). */
export interface RegisterSettings {
  disabled: boolean;
  serviceName: string | undefined;
  capture: CapturePolicy | undefined;
  debug: boolean;
}

export const REGISTER_VARIABLES = [
  { name: 'TOOLWATCH_DISABLED', default: '(unset)', description: '`1` or `true`: load nothing, instrument nothing' },
  { name: 'TOOLWATCH_SERVICE_NAME', default: 'OTEL_SERVICE_NAME, else the serverInfo name', description: '`service.name` of the spans' },
  { name: 'TOOLWATCH_CAPTURE_TOOLS', default: '(none)', description: 'comma-separated tools whose redacted arguments and results go on the span; `*` for all' },
  { name: 'TOOLWATCH_CAPTURE_MAX_CHARS', default: '1024', description: 'longest captured preview' },
  { name: 'TOOLWATCH_DEBUG', default: '(unset)', description: '`1`: report instrumentation errors on stderr' },
] as const;

const flag = (v: string | undefined) => v === '1' || v?.toLowerCase() === 'true';

export function registerSettingsFromEnv(env: NodeJS.ProcessEnv): RegisterSettings {
  const maxChars = Number(env.TOOLWATCH_CAPTURE_MAX_CHARS ?? '1024');
  if (!Number.isInteger(maxChars) || maxChars <= 0) {
    throw new Error(`TOOLWATCH_CAPTURE_MAX_CHARS must be a positive integer`);
  }
  const tools = (env.TOOLWATCH_CAPTURE_TOOLS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return {
    disabled: flag(env.TOOLWATCH_DISABLED),
    serviceName: env.TOOLWATCH_SERVICE_NAME || env.OTEL_SERVICE_NAME || undefined,
    capture: tools.length ? { tools: Object.fromEntries(tools.map((t) => [t, { arguments: true, result: true }])), maxChars } : undefined,
    debug: flag(env.TOOLWATCH_DEBUG),
  };
}
