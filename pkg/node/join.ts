// Where a node's membership comes from when it starts, and how a node that
// joined a running cluster becomes a voter:
//  - a data directory with cluster.json: from that file (--peers and --join
//    are then ignored: Raft's configuration has moved on since);
//  - `jobd --join HOST:PORT,...`: the node asks the cluster (any member; a
//    follower forwards to the leader) to add it as a learner at its
//    --advertise address, and starts from the configuration the leader
//    answers with, itself a learner; once started it asks, every second, to
//    be promoted, which the leader grants once its log has caught up;
//  - `--peers`: a brand-new cluster of exactly those voters.
import type { ClusterAdmin } from '../api/index.js';
import type { RaftNode } from '../raft/index.js';
import { cleanConnectionDetail } from '../transport/grpc-client.js';
import { ConnectionError, JobctlError, Reason, errorMessage, isReason } from '../util/errors.js';
import { clusterIdOf, loadClusterFile, saveClusterFile, type ClusterFile } from './cluster-file.js';
import type { NodeConfig } from './config.js';
import type { Component } from './lifecycle.js';
import type { NodeLogger } from './logger.js';
import type { GrpcPeerApi } from './peer-api.js';
import { checkCanListen } from './start-errors.js';

export async function clusterMembership(
  config: NodeConfig,
  advertise: string,
  peerApi: GrpcPeerApi,
  logger: NodeLogger,
): Promise<ClusterFile> {
  const stored = await loadClusterFile(config.dataDir);
  if (stored) return stored;
  if (config.join && config.join.length > 0) {
    // A port this node cannot have fails now, before the cluster adds a
    // member that would never answer.
    await checkCanListen('--listen', config.listen);
    if (config.http) await checkCanListen('--http', config.http);
    const joined = await joinCluster(config.id, advertise, config.join, peerApi);
    await saveClusterFile(config.dataDir, joined);
    logger.info('joined the cluster as a learner', {
      clusterId: joined.clusterId,
      voters: joined.voters,
      learners: joined.learners,
    });
    return joined;
  }
  if (config.peers.size === 0) {
    throw new JobctlError(
      Reason.Invalid,
      '--peers (a new cluster) or --join (a running one) is required',
    );
  }
  if (!config.peers.has(config.id)) {
    throw new JobctlError(Reason.Invalid, `--peers must include this node (id ${config.id})`);
  }
  const bootstrap: ClusterFile = {
    clusterId: clusterIdOf(config.peers),
    voters: [...config.peers.keys()].sort((a, b) => a - b),
    learners: [],
    members: Object.fromEntries(config.peers),
  };
  await saveClusterFile(config.dataDir, bootstrap);
  return bootstrap;
}

/** The CLI's flag names in a TLS failure's words, as jobd spells them. */
function inJobdFlags(detail: string): string {
  return detail.replace(/--ca\b/g, '--tls-ca').replace(/--cert\/--key/g, '--tls-cert/--tls-key');
}

/** Asks the cluster at `servers` (tried in turn) to add node `id` as a learner at `address`. */
async function joinCluster(
  id: number,
  address: string,
  servers: readonly string[],
  peerApi: GrpcPeerApi,
): Promise<ClusterFile> {
  const unanswered: string[] = [];
  // One membership change at a time: another node joining at the same moment
  // is waited out (bounded), not an error.
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < servers.length; i++) {
    const server = servers[i] as string;
    try {
      const res = await peerApi.changeMembership(server, {
        type: 'add',
        id,
        address,
        joining: true,
      });
      const members = Object.fromEntries(res.members.map((m) => [String(m.id), m.address]));
      return {
        clusterId: res.clusterId,
        voters: res.members.filter((m) => !m.learner).map((m) => m.id),
        learners: res.members.filter((m) => m.learner).map((m) => m.id),
        members,
      };
    } catch (err) {
      if (
        isReason(err, Reason.Conflict) &&
        /in progress/.test(errorMessage(err)) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 500));
        i--;
        continue;
      }
      if (!(err instanceof ConnectionError)) {
        const reason = err instanceof JobctlError ? err.reason : Reason.Internal;
        throw new JobctlError(reason, `cannot join ${server}: ${errorMessage(err)}`);
      }
      const detail = inJobdFlags(cleanConnectionDetail(errorMessage(err)));
      unanswered.push(servers.length > 1 ? `${server}: ${detail}` : detail);
    }
  }
  throw new JobctlError(
    Reason.Unavailable,
    `cannot join ${servers.join(',')}: no member answers (${unanswered.join('; ')})`,
  );
}

/**
 * A joined node's request to become a voter, repeated every second until the
 * leader grants it (once caught up). It keeps going while its own
 * configuration does not list it: the snapshot a new learner installs first
 * may predate its addition, and the log then adds it again (seen in the chaos
 * suite: a joiner that checked in that window never asked again and stayed a
 * learner). A removed learner asks nothing; it is stopped by its operator.
 */
export function promotion(o: {
  raft: RaftNode;
  admin: ClusterAdmin;
  logger: NodeLogger;
}): Component {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastRefusal = '';
  const attempt = async (): Promise<void> => {
    if (stopped) return;
    const cs = o.raft.membership();
    if (cs.voters.includes(o.raft.id)) return;
    // Not a learner in the configuration it knows now (a snapshot taken
    // before its addition was just installed, so Raft even counts it removed
    // until the log adds it again): ask on the next round.
    if (cs.learners.includes(o.raft.id) && !o.raft.isRemoved() && o.raft.leader() !== 0) {
      try {
        await o.admin.promoteMember(o.raft.id);
        o.logger.info('promoted to voter');
        return;
      } catch (err) {
        // "Not caught up yet" is expected for a while; anything else is logged once.
        const message = errorMessage(err);
        if (!isReason(err, Reason.Conflict) && message !== lastRefusal) {
          o.logger.warn('promotion refused; retrying', { error: message });
        }
        lastRefusal = message;
      }
    }
    if (!stopped) timer = setTimeout(() => void attempt(), 1000);
  };
  return {
    name: 'promotion once caught up',
    start: () => {
      timer = setTimeout(() => void attempt(), 1000);
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
