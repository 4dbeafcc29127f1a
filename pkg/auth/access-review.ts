// AccessReview: "may I do VERB on RESOURCE in NAMESPACE?" asked of the server
// (`jobctl auth can-i`, `jobctl auth whoami`, the dashboard). It is a virtual
// kind: a create of {kind: AccessReview, spec: {verb, resource, namespace}} is
// answered by the authorizing client with status {allowed, reason, user,
// groups, via} and never stored, so it needs no new RPC or REST verb.
import { API_VERSION, type KindRegistry } from '../store/index.js';
import { JobctlError, Reason } from '../util/errors.js';
import { VERBS, type Attributes, type Verb } from './rbac.js';

export const ACCESS_REVIEW_KIND = 'AccessReview';

export interface AccessReviewSpec {
  readonly verb: string;
  readonly resource: string;
  /** Omitted or '' with allNamespaces: every namespace. Default "default" for namespaced resources. */
  readonly namespace?: string;
  readonly allNamespaces?: boolean;
  readonly name?: string;
}

export interface AccessReviewStatus {
  readonly allowed: boolean;
  readonly reason: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly via: string;
}

export interface AccessReview {
  readonly apiVersion: string;
  readonly kind: typeof ACCESS_REVIEW_KIND;
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: AccessReviewSpec;
  readonly status?: AccessReviewStatus;
}

/** Verbs as people type them, mapped to ours. */
const VERB_ALIASES: Readonly<Record<string, Verb>> = { patch: 'apply', log: 'logs' };

/** The pseudo-resource of cluster operations (status, transfer-leader). */
export const CLUSTER_RESOURCE = 'cluster';

function invalid(msg: string): JobctlError {
  return new JobctlError(Reason.Invalid, msg);
}

/** The attributes an AccessReview asks about; Invalid for an unknown verb or resource. */
export function reviewAttributes(spec: AccessReviewSpec, kinds: KindRegistry): Attributes {
  const verbText = String(spec.verb ?? '').toLowerCase();
  const verb: Verb | undefined = VERB_ALIASES[verbText] ?? VERBS.find((v) => v === verbText);
  if (!verb) throw invalid(`unknown verb "${spec.verb}" (known: ${VERBS.join(', ')})`);
  const [base = '', sub] = String(spec.resource ?? '')
    .toLowerCase()
    .split('/');
  let resource: string;
  let namespaced: boolean;
  if (base === CLUSTER_RESOURCE) {
    resource = CLUSTER_RESOURCE;
    namespaced = false;
  } else {
    const info = kinds.resolve(base);
    if (!info) {
      const known = kinds
        .kinds()
        .map((k) => k.plural)
        .join(', ');
      throw invalid(`unknown resource "${spec.resource}" (known: ${known}, cluster)`);
    }
    resource = sub ? `${info.plural}/${sub}` : info.plural;
    namespaced = info.namespaced;
  }
  const namespace = !namespaced ? '' : spec.allNamespaces ? undefined : spec.namespace || 'default';
  return { verb, resource, namespace, ...(spec.name ? { name: spec.name } : {}) };
}

/** A review answered. */
export function answeredReview(spec: AccessReviewSpec, status: AccessReviewStatus): AccessReview {
  return {
    apiVersion: API_VERSION,
    kind: ACCESS_REVIEW_KIND,
    metadata: { name: '', namespace: '' },
    spec,
    status,
  };
}
