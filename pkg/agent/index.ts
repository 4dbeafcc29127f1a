// Public API of pkg/agent: the per-node loop that runs the Runs bound to this
// node (Agent) and the log reader the Logs RPC serves (readRunLog).
export {
  Agent,
  type AgentOptions,
  type AgentStats,
  type AgentTuning,
  type DrainResult,
  type FinishedRunLogs,
} from './agent.js';
export {
  LOG_COPY_CUT_NOTE,
  LOG_COPY_MAX_BYTES,
  LOG_COPY_BATCH_BYTES,
  LOG_COPY_BATCH_RUNS,
  LogCopier,
  copiedJournalPath,
  listLogCopyUids,
  logCopyPath,
  readLogCopy,
  removeLogCopy,
  takeLogCopy,
  writeLogCopy,
  type LogCopierOptions,
  type LogCopyRef,
  type LogCopySender,
} from './log-copies.js';
export { noopAgentMetrics, type AgentMetrics } from './metrics.js';
export { lastLines, readRunLog, type ReadRunLogOptions } from './logs.js';
export { runLogDir, runLogPath } from './paths.js';
export { listRunLogUids, removeRunLogFiles, runLogFilesModifiedMs } from './run-log-files.js';
export type { RuntimeReadiness } from './runtime-health.js';
export { NodeScopedClient, nodeRunsSelector } from './scoped-client.js';
export { JOB_NAME_LABEL, NODE_LABEL, RUN_NAME_LABEL, RUN_NAMESPACE_LABEL } from './reconciler.js';
export { isFinal } from './status.js';
