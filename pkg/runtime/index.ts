// Public surface of pkg/runtime (STYLE habit 6). The agent imports from here.
export {
  MANAGED_LABEL,
  RUN_UID_LABEL,
  RuntimeEventType,
  type ContainerInfo,
  type ContainerSpec,
  type ContainerState,
  type ExitInfo,
  type ExitReason,
  type KillOptions,
  type PullPolicy,
  type RunContainerSpec,
  type Runtime,
  type RuntimeEvent,
} from './types.js';
export {
  ContainerNotFoundError,
  ImagePullFailedError,
  RuntimeError,
  RuntimeErrorCode,
  RuntimeUnavailableError,
  StartFailedError,
  isRuntimeError,
} from './errors.js';
export {
  DEFAULT_MAX_LOG_BYTES,
  LogFileWriter,
  currentLogStart,
  inDir,
  logFileSize,
  logStartPath,
  readKeptLog,
  readSmallKeptLogSync,
  readLogFile,
  readRange,
  removeLogFile,
  rotatedLogPath,
  type KeptLog,
} from './logfile.js';
export { LineJournal, readJournal } from './line-journal.js';
export { closeFdSync, openFd, writeAll } from './fd.js';
// DockerRuntime has its own door, ./docker/index.ts: importing it loads dockerode.
export { ProcessRuntime, type ProcessRuntimeOptions } from './process/runtime.js';
export {
  FakeRuntime,
  type FakeOutcome,
  type FakeRuntimeOptions,
  type OutcomeMatcher,
} from './fake/runtime.js';
export { newRuntime, RUNTIME_KINDS, type NewRuntimeOptions, type RuntimeKind } from './select.js';
