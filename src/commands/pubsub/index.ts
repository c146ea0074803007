/**
 * Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, SSUBSCRIBE,
 * SUNSUBSCRIBE, SPUBLISH, PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB.
 * The machinery is in src/server/pubsub.ts. Source: Redis 7.0 docs (Pub/Sub) and pubsub.c.
 */
import type { Client } from '../../server/client.js';
import { PROPAGATE_REPL } from '../../server/server.js';
import type { SubKind } from '../../server/pubsub.js';
import { globMatch } from '../../store/glob.js';
import type { CommandDef } from '../types.js';

function subscribeGeneric(c: Client, argv: string[], kind: SubKind): void {
  if (c.multi !== null) {
    c.error(`ERR Command not allowed inside a transaction`);
    return;
  }
  for (let i = 1; i < argv.length; i++) c.server.pubsub.subscribe(c, kind, argv[i]);
}

function unsubscribeGeneric(c: Client, argv: string[], kind: SubKind): void {
  if (argv.length === 1) c.server.pubsub.unsubscribeKind(c, kind, true);
  else for (let i = 1; i < argv.length; i++) c.server.pubsub.unsubscribe(c, kind, argv[i], true);
}

/** SUBSCRIBE channel [channel ...]: one [subscribe, channel, count] per channel. */
function subscribeCommand(c: Client, argv: string[]): void {
  subscribeGeneric(c, argv, 'channel');
}
/** UNSUBSCRIBE [channel ...]: all channels when none is given. */
function unsubscribeCommand(c: Client, argv: string[]): void {
  unsubscribeGeneric(c, argv, 'channel');
}
/** PSUBSCRIBE pattern [pattern ...] (glob patterns as KEYS). */
function psubscribeCommand(c: Client, argv: string[]): void {
  subscribeGeneric(c, argv, 'pattern');
}
/** PUNSUBSCRIBE [pattern ...]. */
function punsubscribeCommand(c: Client, argv: string[]): void {
  unsubscribeGeneric(c, argv, 'pattern');
}
/** SSUBSCRIBE shardchannel [...] (Redis 7.0 sharded pub/sub; one shard here). */
function ssubscribeCommand(c: Client, argv: string[]): void {
  subscribeGeneric(c, argv, 'shard');
}
/** SUNSUBSCRIBE [shardchannel ...]. */
function sunsubscribeCommand(c: Client, argv: string[]): void {
  unsubscribeGeneric(c, argv, 'shard');
}

/**
 * PUBLISH channel message: number of clients that received it. Propagated to replicas (not to the
 * AOF), so their subscribers get it too (Redis publishCommand: forceCommandPropagation PROPAGATE_REPL);
 * in cluster mode sent over the cluster bus to every node instead (clusterPropagatePublish).
 */
function publishCommand(c: Client, argv: string[]): void {
  c.reply.integer(c.server.pubsub.publish(argv[1], argv[2]));
  if (c.server.cluster !== null) c.server.cluster.propagatePublish(argv[1], argv[2], false);
  else c.server.alsoPropagate(c.db.id, argv, PROPAGATE_REPL);
}

/** SPUBLISH shardchannel message; propagated as PUBLISH is, in cluster mode to the nodes of this shard. */
function spublishCommand(c: Client, argv: string[]): void {
  c.reply.integer(c.server.pubsub.publish(argv[1], argv[2], true));
  if (c.server.cluster !== null) c.server.cluster.propagatePublish(argv[1], argv[2], true);
  else c.server.alsoPropagate(c.db.id, argv, PROPAGATE_REPL);
}

function channelsGeneric(c: Client, argv: string[], reg: Map<string, Set<Client>>): void {
  const pat = argv.length > 2 ? argv[2] : null;
  const mark = c.reply.deferLen();
  let n = 0;
  for (const name of reg.keys()) {
    if (pat === null || globMatch(pat, name)) {
      c.reply.bulk(name);
      n++;
    }
  }
  c.reply.setDeferredArrayLen(mark, n);
}

/** PUBSUB CHANNELS [pattern]: active channels. */
function pubsubChannelsCommand(c: Client, argv: string[]): void {
  channelsGeneric(c, argv, c.server.pubsub.channels);
}
/** PUBSUB SHARDCHANNELS [pattern]. */
function pubsubShardchannelsCommand(c: Client, argv: string[]): void {
  channelsGeneric(c, argv, c.server.pubsub.shardChannels);
}

function numsubGeneric(c: Client, argv: string[], reg: Map<string, Set<Client>>): void {
  c.reply.arrayLen((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.reply.bulk(argv[i]);
    c.reply.integer(reg.get(argv[i])?.size ?? 0);
  }
}
/** PUBSUB NUMSUB [channel ...]: channel, count pairs. */
function pubsubNumsubCommand(c: Client, argv: string[]): void {
  numsubGeneric(c, argv, c.server.pubsub.channels);
}
/** PUBSUB SHARDNUMSUB [shardchannel ...]. */
function pubsubShardnumsubCommand(c: Client, argv: string[]): void {
  numsubGeneric(c, argv, c.server.pubsub.shardChannels);
}
/** PUBSUB NUMPAT: number of distinct patterns subscribed. */
function pubsubNumpatCommand(c: Client): void {
  c.reply.integer(c.server.pubsub.patterns.size);
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Print this help.',
];
/** PUBSUB HELP. */
function pubsubHelpCommand(c: Client): void {
  c.reply.arrayLen(PUBSUB_HELP.length);
  for (const l of PUBSUB_HELP) c.reply.simple(l);
}

const commands: CommandDef[] = [
  { name: 'subscribe', handler: subscribeCommand },
  { name: 'unsubscribe', handler: unsubscribeCommand },
  { name: 'psubscribe', handler: psubscribeCommand },
  { name: 'punsubscribe', handler: punsubscribeCommand },
  { name: 'ssubscribe', handler: ssubscribeCommand },
  { name: 'sunsubscribe', handler: sunsubscribeCommand },
  { name: 'publish', handler: publishCommand },
  { name: 'spublish', handler: spublishCommand },
  {
    name: 'pubsub',
    subcommands: [
      { name: 'channels', handler: pubsubChannelsCommand },
      { name: 'shardchannels', handler: pubsubShardchannelsCommand },
      { name: 'numsub', handler: pubsubNumsubCommand },
      { name: 'shardnumsub', handler: pubsubShardnumsubCommand },
      { name: 'numpat', handler: pubsubNumpatCommand },
      { name: 'help', handler: pubsubHelpCommand },
    ],
  },
];
export default commands;
