import { exporterFromEnv } from './exporters/from-env.js';
import { redactValue, scanValue } from './redaction/index.js';
import { registerSettingsFromEnv, type RegisterSettings } from './register/env-settings.js';
import { createTelemetry, type Telemetry } from './telemetry.js';

/** The telemetry that `register` and both proxy modes build from `TOOLWATCH_*`: exporter,
 * redaction, capture policy, and internal errors reported only in debug mode. */
export function telemetryFromEnv(env: NodeJS.ProcessEnv, warn: (message: string) => void): { telemetry: Telemetry; settings: RegisterSettings } {
  const settings = registerSettingsFromEnv(env);
  const telemetry = createTelemetry({
    exporter: exporterFromEnv(env),
    redaction: { scanValue, redactValue },
    capture: settings.capture,
    onInternalError: settings.debug ? (err) => warn(`instrumentation error: ${(err as Error).message}`) : undefined,
  });
  return { telemetry, settings };
}
