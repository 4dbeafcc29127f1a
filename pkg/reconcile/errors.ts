// TerminalError: a reconcile failure that retrying cannot fix (a malformed
// object, say). The controller logs it and forgets the key instead of
// requeueing with back-off; the next change to the object enqueues it again.
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export function isTerminal(err: unknown): boolean {
  return err instanceof TerminalError;
}
