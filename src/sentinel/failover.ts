/**
 * Failover (sentinel.c): leader election by epochs (sentinelVoteLeader, sentinelGetLeader), the
 * failover state machine (wait_start → select_slave → send_slaveof_noone → wait_promotion →
 * reconf_slaves → update_config), replica selection and the final switch to the promoted replica.
 */
import type { Sentinel } from './index.js';
import {
  announce,
  FailoverState,
  type Instance,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_FORCE_FAILOVER,
  SRI_O_DOWN,
  SRI_PROMOTED,
  SRI_RECONF_DONE,
  SRI_RECONF_INPROG,
  SRI_RECONF_SENT,
  SRI_S_DOWN,
} from './instance.js';
import {
  askMasterStateToOtherSentinels,
  checkObjectivelyDown,
  checkSubjectivelyDown,
  reconnectInstance,
  resetMasterAndChangeAddress,
  sendPeriodicCommands,
  sendSlaveOf,
} from './monitor.js';

const rand = (n: number) => Math.floor(Math.random() * n);

/** sentinelHandleRedisInstance: one timer step for one instance. */
export function handleInstance(s: Sentinel, ri: Instance): void {
  reconnectInstance(s, ri);
  sendPeriodicCommands(s, ri);
  if (s.tilt) return;
  checkSubjectivelyDown(s, ri);
  if (ri.isMaster) {
    checkObjectivelyDown(s, ri);
    if (startFailoverIfNeeded(s, ri)) askMasterStateToOtherSentinels(s, ri, true);
    failoverStateMachine(s, ri);
    askMasterStateToOtherSentinels(s, ri, false);
  }
}

/**
 * sentinelVoteLeader: votes for `reqRunid` in `reqEpoch` unless this Sentinel already voted in
 * that epoch. @returns the leader voted for in the master's leader epoch (or null) and that epoch.
 */
export function voteLeader(s: Sentinel, m: Instance, reqEpoch: number, reqRunid: string): { leader: string | null; epoch: number } {
  if (reqEpoch > s.currentEpoch) {
    s.currentEpoch = reqEpoch;
    s.flushConfig();
    s.event('warning', '+new-epoch', m, `${s.currentEpoch}`);
  }
  if (m.leaderEpoch < reqEpoch && s.currentEpoch <= reqEpoch) {
    m.leader = reqRunid;
    m.leaderEpoch = s.currentEpoch;
    s.flushConfig();
    s.event('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`);
    // Voting for another Sentinel: do not start our own failover for a while.
    if (m.leader !== s.myid) m.failoverStartTime = Date.now() + rand(s.timing.maxDesync);
  }
  return { leader: m.leader, epoch: m.leaderEpoch };
}

/**
 * sentinelGetLeader: counts the votes the other Sentinels reported for `epoch`, adds mine, and
 * returns the winner if it has an absolute majority of the voters and at least the quorum.
 */
export function getLeader(s: Sentinel, m: Instance, epoch: number): string | null {
  const counters = new Map<string, number>();
  const voters = m.sentinels.size + 1;
  for (const se of m.sentinels.values()) {
    if (se.leader !== null && se.leaderEpoch === s.currentEpoch) counters.set(se.leader, (counters.get(se.leader) ?? 0) + 1);
  }
  let winner: string | null = null;
  let max = 0;
  for (const [k, v] of counters) {
    if (v > max) {
      max = v;
      winner = k;
    }
  }
  const mine = voteLeader(s, m, epoch, winner ?? s.myid);
  if (mine.leader !== null && mine.epoch === epoch) {
    const votes = (counters.get(mine.leader) ?? 0) + 1;
    counters.set(mine.leader, votes);
    if (votes > max) {
      max = votes;
      winner = mine.leader;
    }
  }
  const majority = Math.floor(voters / 2) + 1;
  if (winner !== null && (max < majority || max < m.quorum)) winner = null;
  return winner;
}

/** sentinelStartFailover: a new epoch and the wait_start state. */
export function startFailover(s: Sentinel, m: Instance): void {
  m.failoverState = FailoverState.WaitStart;
  m.flags |= SRI_FAILOVER_IN_PROGRESS;
  m.failoverEpoch = ++s.currentEpoch;
  s.event('warning', '+new-epoch', m, `${s.currentEpoch}`);
  s.event('warning', '+try-failover', m, '%@');
  m.failoverStartTime = Date.now() + rand(s.timing.maxDesync);
  m.failoverStateChangeTime = Date.now();
}

/** sentinelStartFailoverIfNeeded: ODOWN, no failover running, none tried in 2 × failover-timeout. */
function startFailoverIfNeeded(s: Sentinel, m: Instance): boolean {
  if (!(m.flags & SRI_O_DOWN)) return false;
  if (m.flags & SRI_FAILOVER_IN_PROGRESS) return false;
  if (Date.now() - m.failoverStartTime < m.failoverTimeout * 2) {
    if (m.failoverDelayLogged !== m.failoverStartTime) {
      const when = new Date(m.failoverStartTime + m.failoverTimeout * 2);
      m.failoverDelayLogged = m.failoverStartTime;
      s.log.warning(
        `Next failover delay: I will not start a failover before ${when
          .toUTCString()
          .replace(/^\w+, /, '')
          .replace(/ GMT$/, '')}`,
      );
    }
    return false;
  }
  startFailover(s, m);
  return true;
}

/** sentinelAbortFailover (only before the promotion is confirmed). */
export function abortFailover(m: Instance): void {
  if (!(m.flags & SRI_FAILOVER_IN_PROGRESS)) return;
  m.flags &= ~(SRI_FAILOVER_IN_PROGRESS | SRI_FORCE_FAILOVER);
  m.failoverState = FailoverState.None;
  m.failoverStateChangeTime = Date.now();
  if (m.promotedSlave !== null) {
    m.promotedSlave.flags &= ~SRI_PROMOTED;
    m.promotedSlave = null;
  }
}

/**
 * sentinelSelectSlave: the best replica to promote: not down, connected, answered PINGs and INFO
 * recently, priority not 0, not disconnected from the master too long; ordered by priority
 * (lowest first), replication offset (highest first), then run id. @returns null when none fits.
 */
export function selectSlave(s: Sentinel, m: Instance): Instance | null {
  const now = Date.now();
  let maxMasterDownTime = 0;
  if (m.flags & SRI_S_DOWN) maxMasterDownTime += now - m.sDownSinceTime;
  maxMasterDownTime += m.downAfterPeriod * 10;
  const cands: Instance[] = [];
  for (const sl of m.slaves.values()) {
    if (sl.flags & (SRI_S_DOWN | SRI_O_DOWN)) continue;
    if (sl.link.disconnected) continue;
    if (now - sl.link.lastAvailTime > s.timing.pingPeriod * 5) continue;
    if (sl.slavePriority === 0) continue;
    const infoValidity = m.flags & SRI_S_DOWN ? s.timing.pingPeriod * 5 : s.timing.infoPeriod * 3;
    if (now - sl.infoRefresh > infoValidity) continue;
    if (sl.masterLinkDownTime > maxMasterDownTime) continue;
    cands.push(sl);
  }
  cands.sort((a, b) => {
    if (a.slavePriority !== b.slavePriority) return a.slavePriority - b.slavePriority;
    if (a.slaveReplOffset !== b.slaveReplOffset) return a.slaveReplOffset > b.slaveReplOffset ? -1 : 1;
    if (a.runid === null) return b.runid === null ? 0 : 1;
    if (b.runid === null) return -1;
    const x = a.runid.toLowerCase();
    const y = b.runid.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return cands[0] ?? null;
}

/** sentinelFailoverStateMachine. */
function failoverStateMachine(s: Sentinel, m: Instance): void {
  if (!(m.flags & SRI_FAILOVER_IN_PROGRESS)) return;
  switch (m.failoverState) {
    case FailoverState.WaitStart:
      failoverWaitStart(s, m);
      break;
    case FailoverState.SelectSlave:
      failoverSelectSlave(s, m);
      break;
    case FailoverState.SendSlaveofNoone:
      failoverSendSlaveOfNoOne(s, m);
      break;
    case FailoverState.WaitPromotion:
      if (Date.now() - m.failoverStateChangeTime > m.failoverTimeout) {
        s.event('warning', '-failover-abort-slave-timeout', m, '%@');
        abortFailover(m);
      }
      break;
    case FailoverState.ReconfSlaves:
      failoverReconfNextSlave(s, m);
      break;
    default:
      break;
  }
}

function failoverWaitStart(s: Sentinel, m: Instance): void {
  const leader = getLeader(s, m, m.failoverEpoch);
  const isLeader = leader !== null && leader === s.myid;
  if (!isLeader && !(m.flags & SRI_FORCE_FAILOVER)) {
    const electionTimeout = Math.min(s.timing.electionTimeout, m.failoverTimeout);
    if (Date.now() - m.failoverStartTime > electionTimeout) {
      s.event('warning', '-failover-abort-not-elected', m, '%@');
      abortFailover(m);
    }
    return;
  }
  s.event('warning', '+elected-leader', m, '%@');
  if (s.simfailureFlags & 1) {
    s.crash();
    return;
  }
  m.failoverState = FailoverState.SelectSlave;
  m.failoverStateChangeTime = Date.now();
  s.event('warning', '+failover-state-select-slave', m, '%@');
}

function failoverSelectSlave(s: Sentinel, m: Instance): void {
  const sl = selectSlave(s, m);
  if (sl === null) {
    s.event('warning', '-failover-abort-no-good-slave', m, '%@');
    abortFailover(m);
    return;
  }
  s.event('warning', '+selected-slave', sl, '%@');
  sl.flags |= SRI_PROMOTED;
  m.promotedSlave = sl;
  m.failoverState = FailoverState.SendSlaveofNoone;
  m.failoverStateChangeTime = Date.now();
  s.event('notice', '+failover-state-send-slaveof-noone', sl, '%@');
}

function failoverSendSlaveOfNoOne(s: Sentinel, m: Instance): void {
  const sl = m.promotedSlave as Instance;
  if (sl.link.disconnected) {
    if (Date.now() - m.failoverStateChangeTime > m.failoverTimeout) {
      s.event('warning', '-failover-abort-slave-timeout', m, '%@');
      abortFailover(m);
    }
    return;
  }
  if (!sendSlaveOf(s, sl, null)) return;
  s.event('notice', '+failover-state-wait-promotion', sl, '%@');
  m.failoverState = FailoverState.WaitPromotion;
  m.failoverStateChangeTime = Date.now();
}

/** sentinelFailoverReconfNextSlave: SLAVEOF the promoted replica to at most parallel-syncs replicas at a time. */
function failoverReconfNextSlave(s: Sentinel, m: Instance): void {
  const promoted = m.promotedSlave as Instance;
  let inProgress = 0;
  for (const sl of m.slaves.values()) if (sl.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) inProgress++;
  const now = Date.now();
  for (const sl of m.slaves.values()) {
    if (inProgress >= m.parallelSyncs) break;
    if (sl.flags & (SRI_PROMOTED | SRI_RECONF_DONE)) continue;
    if (sl.flags & SRI_RECONF_SENT && now - sl.slaveReconfSentTime > s.timing.slaveReconfTimeout) {
      s.event('notice', '-slave-reconf-sent-timeout', sl, '%@');
      sl.flags = (sl.flags & ~SRI_RECONF_SENT) | SRI_RECONF_DONE;
    }
    if (sl.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) continue;
    if (sl.link.disconnected) continue;
    if (sendSlaveOf(s, sl, promoted.addr)) {
      sl.flags |= SRI_RECONF_SENT;
      sl.slaveReconfSentTime = now;
      s.event('notice', '+slave-reconf-sent', sl, '%@');
      inProgress++;
    }
  }
  failoverDetectEnd(s, m);
}

/** sentinelFailoverDetectEnd: all replicas reconfigured (or failover-timeout elapsed) → update_config. */
function failoverDetectEnd(s: Sentinel, m: Instance): void {
  const promoted = m.promotedSlave;
  if (promoted === null || promoted.flags & SRI_S_DOWN) return;
  const elapsed = Date.now() - m.failoverStateChangeTime;
  let timeout = false;
  let notReconfigured = 0;
  for (const sl of m.slaves.values()) {
    if (sl.flags & (SRI_PROMOTED | SRI_RECONF_DONE)) continue;
    if (sl.flags & SRI_S_DOWN) continue;
    notReconfigured++;
  }
  if (elapsed > m.failoverTimeout) {
    notReconfigured = 0;
    timeout = true;
    s.event('warning', '+failover-end-for-timeout', m, '%@');
  }
  if (notReconfigured === 0) {
    s.event('warning', '+failover-end', m, '%@');
    m.failoverState = FailoverState.UpdateConfig;
    m.failoverStateChangeTime = Date.now();
  }
  if (timeout) {
    for (const sl of m.slaves.values()) {
      if (sl.flags & (SRI_PROMOTED | SRI_RECONF_DONE | SRI_RECONF_SENT)) continue;
      if (sl.link.disconnected) continue;
      if (sendSlaveOf(s, sl, promoted.addr)) {
        s.event('notice', '+slave-reconf-sent-be', sl, '%@');
        sl.flags |= SRI_RECONF_SENT;
      }
    }
  }
}

/** sentinelFailoverSwitchToPromotedSlave: +switch-master and the master's new address. */
export function switchToPromotedSlave(s: Sentinel, m: Instance): void {
  const ref = m.promotedSlave ?? m;
  s.event('warning', '+switch-master', m, `${m.name} ${announce(m.addr)} ${m.addr.port} ${announce(ref.addr)} ${ref.addr.port}`);
  resetMasterAndChangeAddress(s, m, ref.addr.host, ref.addr.port);
}
