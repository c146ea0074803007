/**
 * CLIENT subcommands for client-side caching, reply control and pauses: TRACKING, CACHING,
 * GETREDIR, TRACKINGINFO, REPLY, PAUSE, UNPAUSE (the state lives in src/server/tracking.ts and
 * src/server/pause.ts).
 * Source: Redis 7.0 networking.c clientCommand, tracking.c enableTracking/checkPrefixCollisionsOrReply.
 */
import { ERR_SYNTAX } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { pauseClients, unpauseClients } from '../../server/pause.js';
import { disableTracking, enableTracking, setReplyMode, trackingOptions } from '../../server/tracking.js';
import { isKeyword, parseInt64 } from '../args.js';
import type { CommandDef } from '../types.js';

/**
 * Checks new BCAST prefixes against the client's and each other (checkPrefixCollisionsOrReply).
 * @returns false after replying the overlap error.
 */
function prefixesOk(c: Client, existing: string[], prefixes: string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i];
    for (const e of existing) {
      if (e.startsWith(p) || p.startsWith(e)) {
        c.error(`ERR Prefix '${p}' overlaps with an existing prefix '${e}'. Prefixes for a single client must not overlap.`);
        return false;
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      const q = prefixes[j];
      if (q.startsWith(p) || p.startsWith(q)) {
        c.error(`ERR Prefix '${p}' overlaps with another provided prefix '${q}'. Prefixes for a single client must not overlap.`);
        return false;
      }
    }
  }
  return true;
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]. */
function clientTrackingCommand(c: Client, argv: string[]): void {
  let redirect = 0;
  let bcast = false;
  let optin = false;
  let optout = false;
  let noloop = false;
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - j - 1;
    const a = argv[j].toLowerCase();
    if (a === 'redirect' && more >= 1) {
      j++;
      if (redirect !== 0) {
        c.error('ERR A client can only redirect to a single other client');
        return;
      }
      const id = parseInt64(argv[j]);
      if (id === null) {
        c.error('ERR value is not an integer or out of range');
        return;
      }
      if (!c.server.clients.has(Number(id))) {
        c.error('ERR The client ID you want redirect to does not exist');
        return;
      }
      redirect = Number(id);
    } else if (a === 'bcast') bcast = true;
    else if (a === 'optin') optin = true;
    else if (a === 'optout') optout = true;
    else if (a === 'noloop') noloop = true;
    else if (a === 'prefix' && more >= 1) prefixes.push(argv[++j]);
    else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const cur = trackingOptions(c);
  if (isKeyword(argv[2], 'on')) {
    if (!bcast && prefixes.length > 0) {
      c.error('ERR PREFIX option requires BCAST mode to be enabled');
      return;
    }
    if (cur !== undefined) {
      if (cur.bcast !== bcast) {
        c.error(
          "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        );
        return;
      }
    }
    if (optin && optout) {
      c.error("ERR You can't specify both OPTIN mode and OPTOUT mode");
      return;
    }
    if (cur !== undefined && ((optin && cur.optout) || (optout && cur.optin))) {
      c.error(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
      return;
    }
    if ((optin || optout) && bcast) {
      c.error('ERR OPTIN and OPTOUT are not compatible with BCAST');
      return;
    }
    if (bcast && !prefixesOk(c, cur?.prefixes ?? [], prefixes)) return;
    enableTracking(c, { redirect, bcast, optin, optout, noloop, prefixes });
  } else if (isKeyword(argv[2], 'off')) {
    disableTracking(c);
  } else {
    c.error(ERR_SYNTAX);
    return;
  }
  c.reply.ok();
}

/** CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN/OPTOUT modes). */
function clientCachingCommand(c: Client, argv: string[]): void {
  const o = trackingOptions(c);
  if (o === undefined) {
    c.error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
    return;
  }
  if (isKeyword(argv[2], 'yes')) {
    if (!o.optin) {
      c.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
      return;
    }
    o.caching = true;
  } else if (isKeyword(argv[2], 'no')) {
    if (!o.optout) {
      c.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
      return;
    }
    o.caching = false;
  } else {
    c.error(ERR_SYNTAX);
    return;
  }
  c.reply.ok();
}

/** CLIENT GETREDIR: the redirect id, 0 when tracking without redirect, -1 when not tracking. */
function clientGetredirCommand(c: Client): void {
  const o = trackingOptions(c);
  c.reply.integer(o === undefined ? -1 : o.redirect);
}

/** CLIENT TRACKINGINFO: flags (set), redirect, prefixes. */
function clientTrackinginfoCommand(c: Client): void {
  const o = trackingOptions(c);
  const w = c.reply;
  w.mapLen(3);
  w.bulk('flags');
  const flags: string[] = [];
  if (o === undefined) flags.push('off');
  else {
    flags.push('on');
    if (o.bcast) flags.push('bcast');
    if (o.optin) {
      flags.push('optin');
      if (o.caching === true) flags.push('caching-yes');
    }
    if (o.optout) {
      flags.push('optout');
      if (o.caching === false) flags.push('caching-no');
    }
    if (o.noloop) flags.push('noloop');
    if (o.redirect !== 0 && !c.server.clients.has(o.redirect)) flags.push('broken_redirect');
  }
  w.setLen(flags.length);
  for (const f of flags) w.bulk(f);
  w.bulk('redirect');
  w.integer(o === undefined ? -1 : o.redirect);
  w.bulk('prefixes');
  const prefixes = o?.prefixes ?? [];
  w.arrayLen(prefixes.length);
  for (const p of prefixes) w.bulk(p);
}

/** CLIENT REPLY ON|OFF|SKIP (only ON replies). */
function clientReplyCommand(c: Client, argv: string[]): void {
  const m = argv[2].toLowerCase();
  if (m === 'on') {
    setReplyMode(c, 'on');
    c.reply.ok();
  } else if (m === 'off' || m === 'skip') {
    setReplyMode(c, m);
  } else {
    c.error(ERR_SYNTAX);
  }
}

/** CLIENT PAUSE timeout [WRITE|ALL]: postpones clients' commands for `timeout` ms. */
function clientPauseCommand(c: Client, argv: string[]): void {
  const t = parseInt64(argv[2]);
  if (t === null) {
    c.error('ERR timeout is not an integer or out of range');
    return;
  }
  if (t < 0) {
    c.error('ERR timeout is negative');
    return;
  }
  let all = true;
  if (argv.length === 4) {
    if (isKeyword(argv[3], 'write')) all = false;
    else if (!isKeyword(argv[3], 'all')) {
      c.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
      return;
    }
  } else if (argv.length > 4) {
    c.error(ERR_SYNTAX);
    return;
  }
  pauseClients(c.server, Date.now() + Number(t), all);
  c.reply.ok();
}

/** CLIENT UNPAUSE. */
function clientUnpauseCommand(c: Client): void {
  unpauseClients(c.server);
  c.reply.ok();
}

/** The subcommands, added to CLIENT's list in client.ts. */
export const clientTrackingDefs: CommandDef[] = [
  { name: 'tracking', handler: clientTrackingCommand },
  { name: 'caching', handler: clientCachingCommand },
  { name: 'getredir', handler: clientGetredirCommand },
  { name: 'trackinginfo', handler: clientTrackinginfoCommand },
  { name: 'reply', handler: clientReplyCommand },
  { name: 'pause', handler: clientPauseCommand },
  { name: 'unpause', handler: clientUnpauseCommand },
];
