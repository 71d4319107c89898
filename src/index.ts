// `import { instrument } from 'toolwatch'`: the instrumentation is what a server author needs.
export * from '@toolwatch/collector';
