// What the API adapters report for monitoring, implemented by pkg/node with
// prom-client (default: nothing). Both adapters (gRPC and REST) serve the same
// ResourceClient; each gets its own ObservedClient (observed-client.ts) over
// it, labelled with its transport, so one small observer covers both.

/** Which adapter served a request. */
export type ApiTransport = 'grpc' | 'rest';

export interface ApiObserver {
  /**
   * A request (verb on resource, e.g. "list" "jobs") began; the returned
   * function is called once when it ends, with "OK" or the error's Reason.
   */
  begin(transport: ApiTransport, verb: string, resource: string): (code: string) => void;
  /** A watch stream opened; the returned function is called once when it ends. */
  watchOpened(transport: ApiTransport, resource: string): () => void;
}
