import { hostname } from 'node:os';
import type { AlertRecord, Severity } from '@toolwatch/schemas';
import { PRODUCT, PRODUCT_VERSION, nsToMs } from './alert-format.js';

/** CEF severity 0–10, in ArcSight's bands (7–8 High, 9–10 Very High). */
const CEF_SEVERITY: Record<Severity, number> = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };
/** Syslog severity (RFC 5424 §6.2.1): crit, err, warning, notice, info. */
const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };

// CEF has no escape for other control characters, and a syslog receiver would mangle them
// (rsyslog writes a tab as #011): they become spaces.
const OTHER_CONTROLS = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/g;

/** Header fields escape `\` and `|`; they may not span lines, so line breaks become spaces. */
export const cefHeader = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r\n|[\r\n]/g, ' ').replace(OTHER_CONTROLS, ' ');

/** Extension values escape `\` and `=`, and write line breaks as `\n` and `\r`. A `|` needs no escape there. */
export const cefValue = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(OTHER_CONTROLS, ' ');

/** The CEF line for an alert: the rule is the Signature ID, the title the Name. */
export function cefLine(alert: AlertRecord): string {
  const header = [`CEF:0`, PRODUCT, PRODUCT, PRODUCT_VERSION, alert.rule, alert.title].map((v, i) => (i === 0 ? v : cefHeader(v)));
  const { evidence } = alert;
  const ext: [string, string | number | null][] = [
    ['rt', nsToMs(alert.lastEventTime)],
    ['start', nsToMs(alert.firstEventTime)],
    ['end', nsToMs(alert.lastEventTime)],
    ['cat', alert.kind],
    ['act', alert.status],
    ['msg', alert.title],
    ['cs1Label', 'alertId'],
    ['cs1', alert.id],
    ['cs2Label', 'session'],
    ['cs2', alert.sessionKey],
    ['cs3Label', 'mcpServer'],
    ['cs3', alert.serviceName],
    ['cs4Label', 'mcpClient'],
    ['cs4', `${alert.clientName} ${alert.clientVersion}`.trim()],
    ['cs5Label', 'tool'],
    ['cs5', alert.tool],
    ['cs6Label', 'tags'],
    ['cs6', alert.tags.join(',')],
    ['cn1Label', 'revision'],
    ['cn1', alert.revision],
    ['cfp1Label', 'score'],
    ['cfp1', alert.score],
    ['cfp2Label', `observed ${evidence.unit}`],
    ['cfp2', evidence.observed],
    ['cfp3Label', `threshold ${evidence.unit}`],
    ['cfp3', evidence.threshold],
    ...(evidence.baseline === null ? [] : ([['cfp4Label', `baseline ${evidence.unit}`], ['cfp4', evidence.baseline]] as [string, number | string][])),
  ];
  const extension = ext.map(([k, v]) => `${k}=${cefValue(String(v))}`).join(' ');
  return `${header.join('|')}|${CEF_SEVERITY[alert.severity]}|${extension}`;
}

export interface SyslogHeader {
  /** 0–23; 4 (security/authorization) by default. */
  facility?: number;
  hostname?: string;
  appName?: string;
}

/** RFC 5424 header fields are printable US-ASCII without spaces, at most `max` long; `-` when empty. */
const headerField = (value: string, max: number): string => value.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '-';

/**
 * An RFC 5424 message carrying the CEF line: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`.
 * No BOM before MSG: CEF parsers read the line from `CEF:0`, and a BOM would break them.
 */
export function syslogMessage(alert: AlertRecord, options: SyslogHeader = {}, now = new Date()): string {
  const pri = (options.facility ?? 4) * 8 + SYSLOG_SEVERITY[alert.severity];
  const host = headerField(options.hostname ?? hostname(), 255);
  const app = headerField(options.appName ?? PRODUCT, 48);
  return `<${pri}>1 ${now.toISOString()} ${host} ${app} ${process.pid} alert - ${cefLine(alert)}`;
}
