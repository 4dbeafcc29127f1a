// From a URL to what it addresses: the kind (by its plural, through the kind
// registry), the namespace and the name. Kubernetes' rules: namespaced kinds
// live under /namespaces/{ns}/, cluster-scoped kinds (Node) directly under the
// group version, and listing a namespaced kind there means all namespaces.
import { API_VERSION, type KindInfo, type KindRegistry } from '../../store/index.js';
import { JobctlError, Reason } from '../../util/errors.js';

/** '/apis/jobctl.dev/v1' */
export const API_PREFIX = `/apis/${API_VERSION}`;

/** What a resource URL addresses. */
export interface Target {
  readonly info: KindInfo;
  /**
   * The namespace in the path; '' for cluster-scoped kinds; undefined for a
   * namespaced kind addressed without one (list/watch across all namespaces).
   */
  readonly namespace: string | undefined;
  readonly name?: string;
}

/** The kind whose plural is `plural`; NotFound naming the known resources otherwise. */
export function kindOfPlural(kinds: KindRegistry, plural: string): KindInfo {
  const info = kinds.kinds().find((k) => k.plural === plural);
  if (info) return info;
  const known = kinds
    .kinds()
    .map((k) => k.plural)
    .join(', ');
  throw new JobctlError(
    Reason.NotFound,
    `the server could not find the requested resource ${JSON.stringify(plural)} in ${API_VERSION} (known resources: ${known})`,
  );
}

/** A target under /namespaces/{ns}/{plural}[/{name}]; cluster-scoped kinds are NotFound there. */
export function namespacedTarget(
  kinds: KindRegistry,
  namespace: string,
  plural: string,
  name?: string,
): Target {
  const info = kindOfPlural(kinds, plural);
  if (!info.namespaced) {
    throw new JobctlError(
      Reason.NotFound,
      `${plural} are cluster-scoped: use ${API_PREFIX}/${plural}${name === undefined ? '' : `/${name}`}`,
    );
  }
  return name === undefined ? { info, namespace } : { info, namespace, name };
}

/**
 * A target under /{plural}[/{name}]: a cluster-scoped kind, or (list and watch
 * only, `name` undefined) a namespaced kind across all namespaces.
 */
export function clusterTarget(kinds: KindRegistry, plural: string, name?: string): Target {
  const info = kindOfPlural(kinds, plural);
  if (!info.namespaced)
    return name === undefined ? { info, namespace: '' } : { info, namespace: '', name };
  if (name !== undefined) {
    throw new JobctlError(
      Reason.NotFound,
      `${plural} are namespaced: use ${API_PREFIX}/namespaces/{namespace}/${plural}/${name}`,
    );
  }
  return { info, namespace: undefined };
}
