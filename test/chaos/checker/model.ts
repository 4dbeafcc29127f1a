// The per-key model the linearizability search runs: one Job as a register holding
// the chaos value label, plus the highest resourceVersion seen so far. Revisions are
// global and grow with every committed write (the controllers' status writes too), so
// in any linearization the revisions a key's operations observe never go back: a read
// returning an older revision than one already observed is a stale read even when the
// value is the same.
import type { Op } from '../history.js';

export interface KeyState {
  readonly present: boolean;
  readonly value: string | null;
  /** Highest revision observed for this key so far (0: none). */
  readonly rv: number;
}

export const absent: KeyState = { present: false, value: null, rv: 0 };

export function stateKey(s: KeyState): string {
  return `${s.present ? 1 : 0}|${s.value ?? ''}|${s.rv}`;
}

/** One operation as the model sees it (a list contributes one read per key). */
export interface ModelOp {
  readonly kind: 'create' | 'update' | 'apply' | 'delete' | 'read';
  readonly result: 'ok' | 'fail' | 'unknown';
  readonly value?: string | undefined;
  /** ok reads/writes: what came back; undefined for a read that found nothing. */
  readonly out?: { readonly value: string; readonly rv: number } | undefined;
  /** fail: the reason (NotFound, AlreadyExists...). */
  readonly error?: string | undefined;
}

/** The op as the model sees it for `key`, or undefined when it says nothing about it. */
export function modelOp(op: Op, key: string): ModelOp | undefined {
  if (op.kind === 'list') {
    if (op.result !== 'ok') return undefined;
    return { kind: 'read', result: 'ok', out: op.items?.[key] };
  }
  if (op.key !== key) return undefined;
  if (op.kind === 'get') {
    if (op.result === 'ok') return { kind: 'read', result: 'ok', out: op.out };
    if (op.result === 'fail' && op.error === 'NotFound')
      return { kind: 'read', result: 'ok', out: undefined };
    return undefined; // a failed read has no effect and tells nothing
  }
  if (op.result === 'fail' && op.error !== 'NotFound' && op.error !== 'AlreadyExists') {
    return undefined; // never applied (e.g. never sent): no effect
  }
  return {
    kind: op.kind,
    result: op.result ?? 'unknown',
    value: op.value,
    out: op.out,
    error: op.error,
  };
}

const atLeast = (s: KeyState, rv: number): boolean => rv >= s.rv;

/** Every state the op can lead to from `s` (empty: impossible here). */
export function step(s: KeyState, op: ModelOp): KeyState[] {
  const set = (value: string, rv: number): KeyState => ({ present: true, value, rv });
  switch (op.kind) {
    case 'read': {
      if (op.result !== 'ok') return [s];
      if (!op.out) return s.present ? [] : [s];
      if (!s.present || s.value !== op.out.value || !atLeast(s, op.out.rv)) return [];
      return [{ ...s, rv: op.out.rv }];
    }
    case 'create':
      if (op.result === 'ok') {
        if (s.present || !op.out || op.out.rv <= s.rv) return [];
        return [set(op.value ?? '', op.out.rv)];
      }
      if (op.result === 'fail') return op.error === 'AlreadyExists' && s.present ? [s] : [];
      return s.present ? [s] : [s, set(op.value ?? '', s.rv)];
    case 'update':
      if (op.result === 'ok') {
        if (!s.present || !op.out || op.out.rv <= s.rv) return [];
        return [set(op.value ?? '', op.out.rv)];
      }
      if (op.result === 'fail') return op.error === 'NotFound' && !s.present ? [s] : [];
      return s.present ? [s, set(op.value ?? '', s.rv)] : [s];
    case 'apply':
      if (op.result === 'ok') {
        if (!op.out || !atLeast(s, op.out.rv)) return [];
        return [set(op.value ?? '', op.out.rv)];
      }
      if (op.result === 'fail') return [];
      return [s, set(op.value ?? '', s.rv)];
    case 'delete':
      if (op.result === 'ok') {
        // The final state returned carries the value deleted.
        if (!s.present || (op.out && op.out.value !== s.value)) return [];
        return [{ present: false, value: null, rv: Math.max(s.rv, op.out?.rv ?? 0) }];
      }
      if (op.result === 'fail') return op.error === 'NotFound' && !s.present ? [s] : [];
      return s.present ? [s, { present: false, value: null, rv: s.rv }] : [s];
  }
}
