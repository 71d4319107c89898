/** A bad exporter setting. The message names the variable and never repeats a value that
 * could be a secret (a header, a URL with credentials). */
export class ExporterConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ExporterConfigError';
  }
}
