// The docker runtime's public face, apart from pkg/runtime/index.ts: importing
// it loads dockerode (and with it ssh2's 16 MB of WebAssembly memory), which
// only a node that runs the docker runtime should pay for (../select.ts).
export { DockerRuntime, type DockerRuntimeOptions } from './runtime.js';
