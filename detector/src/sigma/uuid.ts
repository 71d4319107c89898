import { createHash } from 'node:crypto';

/** toolwatch's namespace for name-based rule ids (itself a fixed random UUID). */
export const TOOLWATCH_SIGMA_NAMESPACE = '6f1c1e0a-4b7d-4c1e-9a55-3d2f8e7b9c41';

/**
 * RFC 9562 version 5 UUID: SHA-1 of namespace and name. A rule's id follows from its name,
 * not its thresholds, so a SIEM sees a retuned rule as the same rule, updated.
 */
export function uuidV5(name: string, namespace = TOOLWATCH_SIGMA_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
