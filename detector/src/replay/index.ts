export { Replayer, replaySpans, DEFAULT_REORDER_WINDOW_MS, DEFAULT_MAX_HELD, type ReplayOptions, type ReplayStats } from './replay.js';
export { ReorderBuffer } from './reorder-buffer.js';
export { replayCommand, runReplay, parseDuration, REPLAY_HELP, type RunReplayOptions, type RunReplayResult } from './replay-command.js';
