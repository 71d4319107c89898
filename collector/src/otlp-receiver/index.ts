export { collectorCommand, COLLECTOR_HELP, type CollectorCommandContext } from './collector-command.js';
export {
  OtlpReceiver,
  startOtlpReceiver,
  TRACES_PATH,
  DEFAULT_HOST as DEFAULT_COLLECTOR_HOST,
  DEFAULT_PORT as DEFAULT_COLLECTOR_PORT,
  DEFAULT_MAX_BODY_BYTES,
  type OtlpReceiverOptions,
  type ReceiverStats,
  type ReceiverLog,
} from './otlp-receiver.js';
export { convertTraceRequest, type ConvertOptions, type ConvertedRequest, type RejectedSpan } from './convert-spans.js';
export { decodeProtobufTraceRequest } from './decode-protobuf.js';
export { decodeJsonTraceRequest } from './decode-json.js';
export type { TextRedactor } from './redactor.js';
