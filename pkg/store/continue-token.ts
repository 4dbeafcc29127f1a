// List continuation tokens. A token names the last key returned and the
// revision of the list's first page. The next page starts strictly after that
// key in the *current* state, so an object present during the whole listing is
// returned exactly once whatever happens in between (keys are unique and
// sorted). The pages then mix revisions, which is why every page reports the
// first page's resourceVersion: a watch from it replays every change made since
// the listing began, and the client converges.
import { JobctlError, Reason } from '../util/errors.js';

export interface ContinueToken {
  /** Revision of the first page. */
  readonly rv: number;
  /** Last key (namespace/name) returned. */
  readonly key: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: token.rv, k: token.key }), 'utf8').toString(
    'base64url',
  );
}

export function decodeContinue(s: string): ContinueToken {
  const bad = (): never => {
    throw new JobctlError(
      Reason.Invalid,
      `invalid continue token ${JSON.stringify(s)}: relist from the start`,
    );
  };
  if (!/^[A-Za-z0-9_-]+$/.test(s)) bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    bad();
  }
  const t = value as { v?: unknown; rv?: unknown; k?: unknown } | null;
  if (
    typeof t !== 'object' ||
    t === null ||
    t.v !== 1 ||
    typeof t.rv !== 'number' ||
    !Number.isSafeInteger(t.rv) ||
    t.rv < 0 ||
    typeof t.k !== 'string' ||
    !t.k.includes('/')
  ) {
    return bad();
  }
  return { rv: t.rv, key: t.k };
}

/** The revision a token's listing began at, or undefined for a token that is not one. */
export function continueRevision(s: string): number | undefined {
  try {
    return decodeContinue(s).rv;
  } catch {
    return undefined;
  }
}
