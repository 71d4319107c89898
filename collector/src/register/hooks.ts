/**
 * ESM loader hooks (they run on the loader thread, see module.register). When any copy of
 * the MCP SDK's protocol module loads, a line is appended that hands its Protocol class to
 * the patch that register installed on the main thread.
 */
const PROTOCOL_MODULE = /\/@modelcontextprotocol\/sdk\/dist\/esm\/shared\/protocol\.js$/;
const HANDOFF = "\n;globalThis[Symbol.for('toolwatch.patchProtocol')]?.(Protocol);\n";

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context: unknown) => Promise<LoadResult>;

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (!PROTOCOL_MODULE.test(url) || result.format !== 'module' || result.source == null) return result;
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
  return { ...result, source: source + HANDOFF };
}
