/**
 * Monitoring (sentinel.c): connecting links, the periodic PING / INFO / hello, parsing INFO
 * replies (replica discovery, role changes, promotion and reconfiguration progress), hello
 * messages (Sentinel discovery, epochs, config updates), subjective and objective down, asking
 * the other Sentinels about a master, SLAVEOF transactions and master resets.
 */
import type { RespNode } from '../protocol/decoder.js';
import type { Sentinel } from './index.js';
import {
  type Addr,
  addrEqual,
  addrMatches,
  announce,
  FailoverState,
  type Instance,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_MASTER,
  SRI_MASTER_DOWN,
  SRI_MASTER_REBOOT,
  SRI_O_DOWN,
  SRI_PROMOTED,
  SRI_RECONF_DONE,
  SRI_RECONF_INPROG,
  SRI_RECONF_SENT,
  SRI_S_DOWN,
  SRI_SCRIPT_KILL_SENT,
  SRI_SENTINEL,
  SRI_SLAVE,
} from './instance.js';
import { Conn, Link } from './links.js';

export const HELLO_CHANNEL = '__sentinel__:hello';
const MAX_PENDING_COMMANDS = 100;
const LINK_STATUS_UP = 0;
const LINK_STATUS_DOWN = 1;

/** The master an instance belongs to (itself for a master). */
function masterOf(ri: Instance): Instance {
  return ri.isMaster ? ri : (ri.master as Instance);
}

/** sentinelInstanceMapCommand: the name to send for `cmd`, after the master's rename-command. */
export function mapCommand(ri: Instance, cmd: string): string {
  return masterOf(ri).renamedCommands.get(cmd.toLowerCase()) ?? cmd;
}

function isStatus(r: RespNode | undefined, prefix: string): boolean {
  return r !== null && typeof r === 'object' && !Array.isArray(r) && 't' in r && r.t === '+' && r.v.startsWith(prefix);
}
function isError(r: RespNode | undefined): string | null {
  return r !== null && typeof r === 'object' && !Array.isArray(r) && 't' in r && r.t === '-' ? r.v : null;
}

/** Sends AUTH (when configured) and CLIENT SETNAME on a new connection (sentinelSendAuthIfNeeded). */
function sendAuthAndName(s: Sentinel, ri: Instance, c: Conn, kind: 'cmd' | 'pubsub'): void {
  let user: string | null;
  let pass: string | null;
  if (ri.isSentinel) {
    user = s.sentinelUser;
    pass = s.sentinelPass;
  } else {
    const m = masterOf(ri);
    user = m.authUser;
    pass = m.authPass;
  }
  if (pass !== null) c.send(user !== null ? [mapCommand(ri, 'AUTH'), user, pass] : [mapCommand(ri, 'AUTH'), pass]);
  c.send([mapCommand(ri, 'CLIENT'), 'SETNAME', `sentinel-${s.myid.slice(0, 8)}-${kind}`]);
}

/** sentinelReconnectInstance: (re)creates missing connections, at most once per ping period. */
export function reconnectInstance(s: Sentinel, ri: Instance): void {
  const link = ri.link;
  if (!link.disconnected) return;
  if (ri.addr.port === 0) return;
  const now = Date.now();
  if (now - link.lastReconnTime < s.timing.pingPeriod) return;
  link.lastReconnTime = now;
  const timeout = Math.max(1000, Math.min(ri.downAfterPeriod, 10000));
  if (link.cc === null) {
    const c = new Conn(ri.addr.ip, ri.addr.port, timeout, s.linkTlsContext());
    link.cc = c;
    link.ccConnTime = now;
    c.onClose = () => {
      if (link.cc === c) {
        link.cc = null;
        link.ccConnTime = 0;
        link.disconnected = true;
        s.event('debug', '-cmd-link-reconnection', ri, '%@ #connection closed');
      }
    };
    sendAuthAndName(s, ri, c, 'cmd');
    sendPing(s, ri);
  }
  if (!ri.isSentinel && link.pc === null) {
    const c = new Conn(ri.addr.ip, ri.addr.port, timeout, s.linkTlsContext());
    link.pc = c;
    link.pcConnTime = now;
    link.pcLastActivity = now;
    c.onClose = () => {
      if (link.pc === c) {
        link.pc = null;
        link.pcConnTime = 0;
        link.disconnected = true;
        s.event('debug', '-pubsub-link-reconnection', ri, '%@ #connection closed');
      }
    };
    c.onPush = (msg) => {
      link.pcLastActivity = Date.now();
      if (msg[0] === 'message' && msg[1] === HELLO_CHANNEL && msg.length >= 3) {
        if (msg[2].includes(s.myid)) return;
        processHelloMessage(s, msg[2]);
      }
    };
    sendAuthAndName(s, ri, c, 'pubsub');
    c.send([mapCommand(ri, 'SUBSCRIBE'), HELLO_CHANNEL], (r) => {
      // A refused SUBSCRIBE (NOAUTH, NOPERM) drops the connection, as hiredis does with an
      // error reply on a subscribed context: the link shows "disconnected" until auth works.
      if (isError(r) !== null) c.close();
      else link.pcLastActivity = Date.now();
    });
  }
  if (link.cc !== null && (ri.isSentinel || link.pc !== null)) link.disconnected = false;
}

/** sentinelSendPing: PING on the command link, recording when the oldest unanswered one left. */
export function sendPing(_s: Sentinel, ri: Instance): boolean {
  const link = ri.link;
  if (link.cc === null) return false;
  link.cc.send([mapCommand(ri, 'PING')], (r) => {
    if (r === undefined) return;
    const now = Date.now();
    const err = isError(r);
    if (isStatus(r, 'PONG') || (err !== null && (err.startsWith('LOADING') || err.startsWith('MASTERDOWN')))) {
      link.lastAvailTime = now;
      link.actPingTime = 0;
      if (ri.flags & SRI_MASTER_REBOOT && isStatus(r, 'PONG')) ri.flags &= ~SRI_MASTER_REBOOT;
    }
    link.lastPongTime = now;
  });
  link.lastPingTime = Date.now();
  if (link.actPingTime === 0) link.actPingTime = link.lastPingTime;
  return true;
}

/** sentinelSendPeriodicCommands: INFO (masters and replicas), PING, hello. */
export function sendPeriodicCommands(s: Sentinel, ri: Instance): void {
  const link = ri.link;
  if (link.disconnected || link.cc === null) return;
  if (link.pendingCommands >= MAX_PENDING_COMMANDS * link.refcount) return;
  const now = Date.now();
  let infoPeriod = s.timing.infoPeriod;
  if (ri.isSlave && ((masterOf(ri).flags & (SRI_O_DOWN | SRI_FAILOVER_IN_PROGRESS)) !== 0 || ri.masterLinkDownTime !== 0))
    infoPeriod = 1000;
  const pingPeriod = Math.min(ri.downAfterPeriod, s.timing.pingPeriod);
  if (!ri.isSentinel && (ri.infoRefresh === 0 || now - ri.infoRefresh > infoPeriod)) {
    link.cc.send([mapCommand(ri, 'INFO')], (r) => {
      if (typeof r === 'string') refreshInstanceInfo(s, ri, r);
    });
  }
  if (now - link.lastPongTime > pingPeriod && now - link.lastPingTime > pingPeriod / 2) sendPing(s, ri);
  if (now - ri.lastPubTime > s.timing.publishPeriod) sendHello(s, ri);
}

/**
 * sentinelSendHello: PUBLISH on `__sentinel__:hello`
 * `ip,port,runid,current_epoch,master_name,master_ip,master_port,master_config_epoch`.
 */
export function sendHello(s: Sentinel, ri: Instance): boolean {
  const link = ri.link;
  if (link.disconnected || link.cc === null) return false;
  const m = masterOf(ri);
  const ma = s.currentMasterAddr(m);
  const local = link.cc.localAddress;
  if (local === null && s.announceIp === '') return false;
  const me = s.announceAddr(local ?? '');
  const payload = `${me.ip},${me.port},${s.myid},${s.currentEpoch},${m.name},${announce(ma)},${ma.port},${m.configEpoch}`;
  link.cc.send([mapCommand(ri, 'PUBLISH'), HELLO_CHANNEL, payload], (r) => {
    if (r !== undefined && isError(r) === null) ri.lastPubTime = Date.now();
  });
  return true;
}

/** sentinelForceHelloUpdateForMaster: hello to the master and its replicas at the next tick. */
export function forceHelloUpdate(s: Sentinel, m: Instance): void {
  const back = s.timing.publishPeriod + 1;
  m.lastPubTime -= back;
  for (const sl of m.slaves.values()) sl.lastPubTime -= back;
  for (const se of m.sentinels.values()) se.lastPubTime -= back;
}

/**
 * sentinelProcessHelloMessage: learns Sentinels (+sentinel), epochs (+new-epoch) and newer
 * master configurations (+config-update-from, +switch-master).
 */
export function processHelloMessage(s: Sentinel, hello: string): void {
  const t = hello.split(',');
  if (t.length !== 8) return;
  const [ip, portS, runid, epochS, masterName, masterIp, masterPortS, masterEpochS] = t;
  const port = Number(portS);
  const currentEpoch = Number(epochS);
  const masterPort = Number(masterPortS);
  const masterEpoch = Number(masterEpochS);
  const m = s.masters.get(masterName);
  if (m === undefined) return;
  if (runid === s.myid) return;
  let si = findSentinel(m, ip, port, runid);
  if (si === null) {
    // A known run id at a new address: drop the old entry (it moved).
    let removed = 0;
    for (const [k, x] of m.sentinels) {
      if (x.runid === runid) {
        x.link.closeAll();
        m.sentinels.delete(k);
        removed++;
      }
    }
    if (removed) s.event('notice', '+sentinel-address-switch', m, `%@ ip ${ip} port ${port} for ${runid}`);
    // Another Sentinel at this address with another run id is stale: drop it from every master.
    const other = findSentinel(m, ip, port, null);
    if (other !== null && other.runid !== runid) {
      s.event('notice', '+sentinel-invalid-addr', other, '%@');
      const obsolete = other.runid;
      for (const mm of s.masters.values()) {
        for (const [k, x] of mm.sentinels) {
          if (x.runid === obsolete) {
            x.link.closeAll();
            mm.sentinels.delete(k);
          }
        }
      }
    }
    const created = s.createInstance(runid, SRI_SENTINEL, ip, port, m);
    if (typeof created !== 'string') {
      si = created;
      si.runid = runid;
      if (!removed) s.event('notice', '+sentinel', si, '%@');
      s.flushConfig();
    }
  }
  if (currentEpoch > s.currentEpoch) {
    s.currentEpoch = currentEpoch;
    s.flushConfig();
    s.event('warning', '+new-epoch', m, `${s.currentEpoch}`);
  }
  if (si !== null && m.configEpoch < masterEpoch) {
    m.configEpoch = masterEpoch;
    if (masterPort !== m.addr.port || !addrMatches(m.addr, masterIp)) {
      const old = m.addr;
      s.event('warning', '+config-update-from', si, '%@');
      s.event('warning', '+switch-master', m, `${m.name} ${old.host} ${old.port} ${masterIp} ${masterPort}`);
      resetMasterAndChangeAddress(s, m, masterIp, masterPort);
      s.clientReconfScript(m, 'observer', old, m.addr);
    } else {
      s.flushConfig();
    }
  }
  if (si !== null) si.lastHelloTime = Date.now();
}

function findSentinel(m: Instance, ip: string, port: number, runid: string | null): Instance | null {
  for (const x of m.sentinels.values()) {
    if (runid !== null && x.runid !== runid) continue;
    if (addrMatches(x.addr, ip) && x.addr.port === port) return x;
  }
  return null;
}

/** Parses "ip=..,port=..,state=.." (and the pre-2.8 "ip,port,state") slaveN values. */
function parseSlaveLine(v: string): { ip: string; port: number } | null {
  if (v.includes('=')) {
    const f = new Map(v.split(',').map((kv) => kv.split('=', 2) as [string, string]));
    const ip = f.get('ip');
    const port = Number(f.get('port'));
    return ip !== undefined && Number.isInteger(port) ? { ip, port } : null;
  }
  const p = v.split(',');
  return p.length >= 2 ? { ip: p[0], port: Number(p[1]) } : null;
}

/** sentinelRefreshInstanceInfo: applies an INFO reply. */
export function refreshInstanceInfo(s: Sentinel, ri: Instance, info: string): void {
  const now = Date.now();
  let role = 0;
  ri.masterLinkDownTime = 0;
  for (const raw of info.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const val = line.slice(colon + 1);
    if (key === 'run_id' && val.length === 40) {
      if (ri.runid !== val) {
        if (ri.runid !== null) {
          s.event('notice', '+reboot', ri, '%@');
          if (ri.isMaster && ri.masterRebootDownAfterPeriod !== 0) {
            ri.flags |= SRI_MASTER_REBOOT;
            ri.masterRebootSinceTime = now;
          }
        }
        ri.runid = val;
      }
    } else if (ri.isMaster && /^slave\d+$/.test(key)) {
      const a = parseSlaveLine(val);
      if (a !== null) {
        let found = false;
        for (const sl of ri.slaves.values()) if (addrMatches(sl.addr, a.ip) && sl.addr.port === a.port) found = true;
        if (!found) {
          const sl = s.createInstance(null, SRI_SLAVE, a.ip, a.port, ri);
          if (typeof sl !== 'string') {
            s.event('notice', '+slave', sl, '%@');
            s.flushConfig();
          }
        }
      }
    } else if (key === 'master_link_down_since_seconds') {
      ri.masterLinkDownTime = Number(val) * 1000;
    } else if (key === 'role') {
      role = val === 'master' ? SRI_MASTER : val === 'slave' ? SRI_SLAVE : 0;
    } else if (role === SRI_SLAVE) {
      if (key === 'master_host') {
        if (ri.slaveMasterHost !== val) {
          ri.slaveMasterHost = val;
          ri.slaveConfChangeTime = now;
        }
      } else if (key === 'master_port') {
        const p = Number(val);
        if (ri.slaveMasterPort !== p) {
          ri.slaveMasterPort = p;
          ri.slaveConfChangeTime = now;
        }
      } else if (key === 'master_link_status') {
        ri.slaveMasterLinkStatus = val === 'up' ? LINK_STATUS_UP : LINK_STATUS_DOWN;
      } else if (key === 'slave_priority' || key === 'replica_priority') {
        ri.slavePriority = Number(val);
      } else if (key === 'slave_repl_offset') {
        ri.slaveReplOffset = Number(val);
      } else if (key === 'replica_announced') {
        ri.replicaAnnounced = Number(val);
      }
    }
  }
  ri.infoRefresh = now;
  ri.info = info;
  if (role === 0) return;
  if (role !== ri.roleReported) {
    ri.roleReportedTime = now;
    ri.roleReported = role;
    if (role === SRI_SLAVE) ri.slaveConfChangeTime = now;
    s.event(
      'verbose',
      (ri.flags & (SRI_MASTER | SRI_SLAVE)) === role ? '+role-change' : '-role-change',
      ri,
      `%@ new reported role is ${role === SRI_MASTER ? 'master' : 'slave'}`,
    );
  }
  if (s.tilt) return;
  const m = ri.master;
  if (ri.isSlave && m !== null && role === SRI_MASTER) {
    if (ri.flags & SRI_PROMOTED && m.flags & SRI_FAILOVER_IN_PROGRESS && m.failoverState === FailoverState.WaitPromotion) {
      // The replica we sent SLAVEOF NO ONE to is now a master: the failover goes on.
      m.configEpoch = m.failoverEpoch;
      m.failoverState = FailoverState.ReconfSlaves;
      m.failoverStateChangeTime = now;
      s.flushConfig();
      s.event('warning', '+promoted-slave', ri, '%@');
      if (s.simfailureFlags & 2) {
        s.crash();
        return;
      }
      s.event('warning', '+failover-state-reconf-slaves', m, '%@');
      s.clientReconfScript(m, 'leader', m.addr, ri.addr);
      forceHelloUpdate(s, m);
    } else {
      const wait = s.timing.publishPeriod * 4;
      if (!(ri.flags & SRI_PROMOTED) && masterLooksSane(s, m) && noDownFor(ri, wait) && now - ri.roleReportedTime > wait) {
        if (sendSlaveOf(s, ri, m.addr)) s.event('notice', '+convert-to-slave', ri, '%@');
      }
    }
  }
  if (
    ri.isSlave &&
    m !== null &&
    role === SRI_SLAVE &&
    (ri.slaveMasterPort !== m.addr.port || ri.slaveMasterHost === null || !addrMatches(m.addr, ri.slaveMasterHost))
  ) {
    const wait = m.failoverTimeout;
    if (!(ri.flags & SRI_PROMOTED) && masterLooksSane(s, m) && noDownFor(ri, wait) && now - ri.slaveConfChangeTime > wait) {
      if (sendSlaveOf(s, ri, m.addr)) s.event('notice', '+fix-slave-config', ri, '%@');
    }
  }
  if (ri.isSlave && m !== null && role === SRI_SLAVE && ri.flags & (SRI_RECONF_SENT | SRI_RECONF_INPROG)) {
    const p = m.promotedSlave;
    if (
      ri.flags & SRI_RECONF_SENT &&
      p !== null &&
      ri.slaveMasterHost !== null &&
      addrMatches(p.addr, ri.slaveMasterHost) &&
      ri.slaveMasterPort === p.addr.port
    ) {
      ri.flags = (ri.flags & ~SRI_RECONF_SENT) | SRI_RECONF_INPROG;
      s.event('notice', '+slave-reconf-inprog', ri, '%@');
    }
    if (ri.flags & SRI_RECONF_INPROG && ri.slaveMasterLinkStatus === LINK_STATUS_UP) {
      ri.flags = (ri.flags & ~SRI_RECONF_INPROG) | SRI_RECONF_DONE;
      s.event('notice', '+slave-reconf-done', ri, '%@');
    }
  }
}

/** sentinelMasterLooksSane. */
function masterLooksSane(s: Sentinel, m: Instance): boolean {
  return (
    (m.flags & SRI_MASTER) !== 0 &&
    m.roleReported === SRI_MASTER &&
    (m.flags & (SRI_S_DOWN | SRI_O_DOWN)) === 0 &&
    Date.now() - m.infoRefresh < s.timing.infoPeriod * 2
  );
}

/** sentinelRedisInstanceNoDownFor: not down (S or O) in the last `ms`. */
function noDownFor(ri: Instance, ms: number): boolean {
  const mostRecent = Math.max(ri.sDownSinceTime, ri.oDownSinceTime);
  return mostRecent === 0 || Date.now() - mostRecent > ms;
}

/**
 * sentinelSendSlaveOf: `MULTI; SLAVEOF host port | NO ONE; CONFIG REWRITE; CLIENT KILL TYPE
 * normal; CLIENT KILL TYPE pubsub; EXEC` on the command link. @returns false when not connected.
 */
export function sendSlaveOf(_s: Sentinel, ri: Instance, addr: Addr | null): boolean {
  const c = ri.link.cc;
  if (c === null || ri.link.disconnected) return false;
  const host = addr === null ? 'NO' : announce(addr);
  const port = addr === null ? 'ONE' : String(addr.port);
  c.send([mapCommand(ri, 'MULTI')]);
  c.send([mapCommand(ri, 'SLAVEOF'), host, port]);
  c.send([mapCommand(ri, 'CONFIG'), 'REWRITE']);
  c.send([mapCommand(ri, 'CLIENT'), 'KILL', 'TYPE', 'normal']);
  c.send([mapCommand(ri, 'CLIENT'), 'KILL', 'TYPE', 'pubsub']);
  c.send([mapCommand(ri, 'EXEC')]);
  return true;
}

/** sentinelCheckSubjectivelyDown: +sdown / -sdown, and closing links that stopped answering. */
export function checkSubjectivelyDown(s: Sentinel, ri: Instance): void {
  const now = Date.now();
  const link = ri.link;
  let elapsed = 0;
  if (link.actPingTime) elapsed = now - link.actPingTime;
  else if (link.disconnected) elapsed = now - link.lastAvailTime;
  if (
    link.cc !== null &&
    now - link.ccConnTime > s.timing.minLinkReconnectPeriod &&
    link.actPingTime !== 0 &&
    now - link.actPingTime > ri.downAfterPeriod / 2 &&
    now - link.lastPongTime > ri.downAfterPeriod / 2
  ) {
    link.cc.close();
  }
  if (
    link.pc !== null &&
    now - link.pcConnTime > s.timing.minLinkReconnectPeriod &&
    now - link.pcLastActivity > s.timing.publishPeriod * 3
  ) {
    link.pc.close();
  }
  const down =
    elapsed > ri.downAfterPeriod ||
    (ri.isMaster && ri.roleReported === SRI_SLAVE && now - ri.roleReportedTime > ri.downAfterPeriod + s.timing.infoPeriod * 2) ||
    ((ri.flags & SRI_MASTER_REBOOT) !== 0 && now - ri.masterRebootSinceTime > ri.masterRebootDownAfterPeriod);
  if (down) {
    if (!(ri.flags & SRI_S_DOWN)) {
      s.event('warning', '+sdown', ri, '%@');
      ri.sDownSinceTime = now;
      ri.flags |= SRI_S_DOWN;
    }
  } else if (ri.flags & SRI_S_DOWN) {
    s.event('warning', '-sdown', ri, '%@');
    ri.flags &= ~(SRI_S_DOWN | SRI_SCRIPT_KILL_SENT);
  }
}

/** sentinelCheckObjectivelyDown: +odown when this Sentinel and enough others see the master down. */
export function checkObjectivelyDown(s: Sentinel, m: Instance): void {
  let quorum = 0;
  let odown = false;
  if (m.flags & SRI_S_DOWN) {
    quorum = 1;
    for (const se of m.sentinels.values()) if (se.flags & SRI_MASTER_DOWN) quorum++;
    if (quorum >= m.quorum) odown = true;
  }
  if (odown) {
    if (!(m.flags & SRI_O_DOWN)) {
      s.event('warning', '+odown', m, `%@ #quorum ${quorum}/${m.quorum}`);
      m.flags |= SRI_O_DOWN;
      m.oDownSinceTime = Date.now();
    }
  } else if (m.flags & SRI_O_DOWN) {
    s.event('warning', '-odown', m, '%@');
    m.flags &= ~SRI_O_DOWN;
  }
}

/**
 * sentinelAskMasterStateToOtherSentinels: SENTINEL IS-MASTER-DOWN-BY-ADDR to each Sentinel while
 * the master is subjectively down, with my run id when a failover started (a vote request).
 */
export function askMasterStateToOtherSentinels(s: Sentinel, m: Instance, forced: boolean): void {
  const now = Date.now();
  for (const se of m.sentinels.values()) {
    const elapsed = now - se.lastMasterDownReplyTime;
    if (elapsed > s.timing.askPeriod * 5) {
      se.flags &= ~SRI_MASTER_DOWN;
      se.leader = null;
    }
    if (!(m.flags & SRI_S_DOWN)) continue;
    if (se.link.disconnected || se.link.cc === null) continue;
    if (!forced && elapsed < s.timing.askPeriod) continue;
    const runid = m.failoverState > FailoverState.None ? s.myid : '*';
    se.link.cc.send(
      [mapCommand(se, 'SENTINEL'), 'is-master-down-by-addr', announce(m.addr), String(m.addr.port), String(s.currentEpoch), runid],
      (r) => {
        if (!Array.isArray(r) || r.length !== 3) return;
        if (typeof r[0] !== 'number' || typeof r[1] !== 'string' || typeof r[2] !== 'number') return;
        se.lastMasterDownReplyTime = Date.now();
        if (r[0] === 1) se.flags |= SRI_MASTER_DOWN;
        else se.flags &= ~SRI_MASTER_DOWN;
        if (r[1] !== '*') {
          se.leader = r[1];
          se.leaderEpoch = r[2];
        }
      },
    );
  }
}

/** sentinelResetMaster: drops replicas (and Sentinels if asked), links and failover state. */
export function resetMaster(s: Sentinel, m: Instance, withSentinels: boolean, generateEvent: boolean): void {
  for (const sl of m.slaves.values()) sl.link.closeAll();
  m.slaves.clear();
  if (withSentinels) {
    for (const se of m.sentinels.values()) se.link.closeAll();
    m.sentinels.clear();
  }
  m.link.closeAll();
  m.link = new Link();
  m.flags &= SRI_MASTER;
  m.leader = null;
  m.failoverState = FailoverState.None;
  m.failoverStateChangeTime = 0;
  m.failoverStartTime = 0;
  m.promotedSlave = null;
  m.runid = null;
  m.slaveMasterHost = null;
  m.roleReportedTime = Date.now();
  m.roleReported = SRI_MASTER;
  m.infoRefresh = 0;
  if (generateEvent) s.event('warning', '+reset-master', m, '%@');
}

/**
 * sentinelResetMasterAndChangeAddress: the master moves to host:port; its replicas become the
 * old replicas (except the new master) plus the old master. @returns an error text or null.
 */
export function resetMasterAndChangeAddress(s: Sentinel, m: Instance, host: string, port: number): string | null {
  const na = s.makeAddr(host, port);
  if (typeof na === 'string') return na;
  const slaves: Addr[] = [];
  for (const sl of m.slaves.values()) {
    if (addrEqual(sl.addr, na)) continue;
    slaves.push(sl.addr);
  }
  if (!addrEqual(m.addr, na)) slaves.push(m.addr);
  resetMaster(s, m, false, false);
  m.addr = na;
  m.oDownSinceTime = 0;
  m.sDownSinceTime = 0;
  for (const a of slaves) {
    const sl = s.createInstance(null, SRI_SLAVE, a.host, a.port, m);
    if (typeof sl !== 'string') s.event('notice', '+slave', sl, '%@');
  }
  s.flushConfig();
  return null;
}
