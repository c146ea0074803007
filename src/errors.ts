/**
 * Every error string Keydra replies with, byte for byte as Redis 7.0 words it.
 *
 * Values are the error line without the leading `-` and trailing CRLF, e.g.
 * `ERR syntax error`. Functions build errors that embed arguments.
 * Source: Redis 7.0 `server.c` createSharedObjects, `networking.c`, `t_*.c`.
 */

export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_NO_SUCH_KEY = 'ERR no such key';
export const ERR_OVERFLOW = 'ERR increment or decrement would overflow';
export const ERR_INCR_FLOAT_NAN = 'ERR increment would produce NaN or Infinity';
export const ERR_DB_INDEX = 'ERR DB index is out of range';
export const ERR_INVALID_DB_INDEX = 'ERR invalid DB index';
/** Redis Cluster has only db 0 (db.c selectCommand, moveCommand, copyCommand, swapdbCommand). */
export const ERR_SELECT_CLUSTER = 'ERR SELECT is not allowed in cluster mode';
export const ERR_MOVE_CLUSTER = 'ERR MOVE is not allowed in cluster mode';
export const ERR_COPY_CLUSTER = 'ERR Copying to another database is not allowed in cluster mode';
/** A script with the no-cluster shebang flag on a cluster node (script.c scriptPrepareForRun). */
export const ERR_SCRIPT_NO_CLUSTER = "ERR Can not run script on cluster, 'no-cluster' flag is set.";
export const ERR_SWAPDB_CLUSTER = 'ERR SWAPDB is not allowed in cluster mode';
export const ERR_SAME_OBJECT = 'ERR source and destination objects are the same';
export const ERR_NOAUTH = 'NOAUTH Authentication required.';
export const ERR_WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const ERR_AUTH_NOT_CONFIGURED =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const ERR_MAX_CLIENTS = 'ERR max number of clients reached';
/** Refusal of a non-loopback connection in protected mode (Redis 7.0 clientAcceptHandler). */
export const ERR_PROTECTED_MODE =
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const ERR_LOADING = 'LOADING Redis is loading the dataset in memory';
export const ERR_STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const ERR_OFFSET_OUT_OF_RANGE = 'ERR offset is out of range';
export const ERR_DECR_OVERFLOW = 'ERR decrement would overflow';
export const ERR_LCS_NOT_STRINGS = 'ERR The specified keys must contain string values';
export const ERR_LCS_BOTH_LEN_IDX = 'ERR If you want both the length and indexes, please just use IDX.';
export const ERR_LCS_MEM_LIMIT = 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len';
export const ERR_INVALID_EXPIRE = (cmd: string): string => `ERR invalid expire time in '${cmd}' command`;
export const ERR_TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const ERR_INVALID_CURSOR = 'ERR invalid cursor';
/** Keydra-only: COPY of a value whose structure has no clone() (never for Redis's types once implemented). */
export const errCopyUnsupported = (type: string): string => `ERR COPY is not supported for values of type ${type}`;
export const ERR_INT32_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';
export const ERR_EXPIRE_NX_COMPAT = 'ERR NX and XX, GT or LT options at the same time are not compatible';
export const ERR_EXPIRE_GT_LT = 'ERR GT and LT options at the same time are not compatible';
export const errUnsupportedOption = (opt: string): string => `ERR Unsupported option ${opt}`;
export const ERR_LFU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
export const ERR_LFU_SELECTED =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
export const ERR_TIMEOUT_NEGATIVE = 'ERR timeout is negative';
export const ERR_TIMEOUT_OUT_OF_RANGE = 'ERR timeout is out of range';
export const ERR_INDEX_OUT_OF_RANGE = 'ERR index out of range';
export const ERR_MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
export const ERR_LPOS_RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
export const ERR_LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative";
/** SINTERCARD/ZINTERCARD LIMIT: also the reply to a LIMIT that is not an integer (getPositiveLongFromObjectOrReply's msg). */
export const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
export const ERR_LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";
export const ERR_NUMKEYS_POSITIVE = 'ERR numkeys should be greater than 0';
export const ERR_COUNT_POSITIVE = 'ERR count should be greater than 0';
export const ERR_MULTI_NESTED = 'ERR MULTI calls can not be nested';
export const ERR_EXEC_WITHOUT_MULTI = 'ERR EXEC without MULTI';
export const ERR_DISCARD_WITHOUT_MULTI = 'ERR DISCARD without MULTI';
export const ERR_EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
export const ERR_NO_PROTO = 'NOPROTO unsupported protocol version';
export const ERR_BUSYKEY = 'BUSYKEY Target key name already exists.';
export const ERR_DUMP_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
export const ERR_BAD_DATA_FORMAT = 'ERR Bad data format';
export const ERR_BGSAVE_IN_PROGRESS = 'ERR Background save already in progress';
export const ERR_AOF_REWRITE_IN_PROGRESS = 'ERR Background append only file rewriting already in progress';

/** `ERR wrong number of arguments for '<name>' command`; name is lowercase, `container|sub` for subcommands. */
export function errArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

/**
 * `ERR unknown command '<cmd>', with args beginning with: '<a1>' '<a2>' ` — each string cut to 128 bytes,
 * as Redis's `%.128s` does (Redis 7.0 processCommand).
 */
export function errUnknownCommand(argv: string[]): string {
  // Redis formats with %.128s / %.*s: each argument ends at its first NUL byte, as a C string.
  const cstr = cString;
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${cstr(argv[i]).slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${cstr(argv[0]).slice(0, 128)}', with args beginning with: ${args}`;
}

/** `s` up to its first NUL byte: what Redis's printf-style `%s` of an argument shows (a C string). */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** `ERR unknown subcommand '<sub>'. Try <CONTAINER> HELP.` (Redis 7.0 processCommand / addReplySubcommandSyntaxError). */
export function errUnknownSubcommand(container: string, sub: string): string {
  return `ERR unknown subcommand '${cString(sub).slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`;
}

/** RESP2 pub/sub context refusal (Redis 7.0 processCommand). */
export function errPubSubContext(name: string): string {
  return `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
}

/** Protocol errors, answered and followed by closing the connection (Redis 7.0 networking.c). */
export const PROTO_TOO_BIG_INLINE = 'ERR Protocol error: too big inline request';
export const PROTO_UNBALANCED_QUOTES = 'ERR Protocol error: unbalanced quotes in request';
export const PROTO_TOO_BIG_MBULK = 'ERR Protocol error: too big mbulk count string';
export const PROTO_INVALID_MBULK = 'ERR Protocol error: invalid multibulk length';
export const PROTO_TOO_BIG_BULK = 'ERR Protocol error: too big bulk count string';
export const PROTO_INVALID_BULK = 'ERR Protocol error: invalid bulk length';
/** Counts over 10 / lengths over 16384 before AUTH when a password is required (Redis 7.0 authRequired). */
export const PROTO_UNAUTH_MBULK = 'ERR Protocol error: unauthenticated multibulk length';
export const PROTO_UNAUTH_BULK = 'ERR Protocol error: unauthenticated bulk length';
export function protoExpectedDollar(got: string): string {
  return `ERR Protocol error: expected '$', got '${got}'`;
}
/** Write commands (and PING) after a failed BGSAVE with stop-writes-on-bgsave-error yes (Redis 7.0 shared.bgsaveerr). */
export const ERR_MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
/** Scripting (Redis 7.0 eval.c, script.c, script_lua.c shared objects and messages). */
export const ERR_NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
export const ERR_BUSY_EVAL = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
export const ERR_BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
export const ERR_NOTBUSY = 'NOTBUSY No scripts in execution right now.';
export const ERR_UNKILLABLE =
  'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
export const ERR_NUMKEYS_NEGATIVE = "ERR Number of keys can't be negative";
export const ERR_NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args";

// ---- streams (Redis 7.0 t_stream.c) ----------------------------------------------------------
export const ERR_XADD_ID_ZERO = 'ERR The ID specified in XADD must be greater than 0-0';
export const ERR_XADD_ID_SMALL = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
export const ERR_XADD_EXHAUSTED = 'ERR The stream has exhausted the last possible ID, unable to add more items';
export const ERR_XADD_TOO_LARGE = 'ERR Elements are too large to be stored';
export const ERR_INVALID_START = 'ERR invalid start ID for the interval';
export const ERR_INVALID_END = 'ERR invalid end ID for the interval';
export const ERR_NOGROUP_BLOCKED = 'NOGROUP the consumer group this client was blocked on no longer exists';
export const ERR_UNBLOCKED_DELETED = 'UNBLOCKED the stream key no longer exists';
export const ERR_ENTRIESREAD = 'ERR value for ENTRIESREAD must be positive or -1';
export const ERR_XGROUP_NO_KEY =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';
export const ERR_XTRIM_MAXLEN_MINID = 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';
export const ERR_XTRIM_MAXLEN_NEGATIVE = 'ERR The MAXLEN argument must be >= 0.';
export const ERR_XTRIM_LIMIT_NEGATIVE = 'ERR The LIMIT argument must be >= 0.';
export const ERR_XTRIM_LIMIT_NO_STRATEGY = 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy';
export const ERR_XTRIM_NO_STRATEGY = 'ERR syntax error, XTRIM must be called with a trimming strategy';
export const ERR_XTRIM_LIMIT_NOT_APPROX = 'ERR syntax error, LIMIT cannot be used without the special ~ option';
export const ERR_XSETID_ENTRIES_ADDED_NEGATIVE = 'ERR entries_added must be positive';
export const ERR_XSETID_SMALLER_THAN_MAXDELETED = 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id';
export const ERR_XSETID_SMALLER_THAN_TOP = 'ERR The ID specified in XSETID is smaller than the target stream top item';
export const ERR_XSETID_ENTRIES_ADDED_SMALL = 'ERR The entries_added specified in XSETID is smaller than the target stream length';
export const ERR_TIMEOUT_NOT_INTEGER = 'ERR timeout is not an integer or out of range';
export const ERR_XREAD_UNBALANCED = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
export const ERR_XREAD_GROUP_OPTION = 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.';
export const ERR_XREAD_NOACK_OPTION = 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.';
export const ERR_XREADGROUP_NO_GROUP = 'ERR Missing GROUP option for XREADGROUP';
export const ERR_XREAD_GT_ID = 'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.';
export const ERR_BUSYGROUP = 'BUSYGROUP Consumer Group name already exists';
export const ERR_XAUTOCLAIM_COUNT = 'ERR COUNT must be > 0';
export const ERR_XREADGROUP_DOLLAR =
  'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.';
export const ERR_INVALID_STREAM_ID = 'ERR Invalid stream ID specified as stream command argument';
/** `NOGROUP No such key '<key>' or consumer group '<group>'<suffix>` (XPENDING, XCLAIM, XAUTOCLAIM, XREADGROUP). */
export function errNoKeyOrGroup(key: string, group: string, suffix = ''): string {
  return `NOGROUP No such key '${key}' or consumer group '${group}'${suffix}`;
}
/** `NOGROUP No such consumer group '<group>' for key name '<key>'` (XGROUP, XINFO CONSUMERS). */
export function errNoGroupForKey(group: string, key: string): string {
  return `NOGROUP No such consumer group '${group}' for key name '${key}'`;
}
/** Redis addReplySubcommandSyntaxError: `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <C> HELP.` */
export function errSubcommandSyntax(container: string, sub: string): string {
  return `ERR unknown subcommand or wrong number of arguments for '${cString(sub).slice(0, 128)}'. Try ${container} HELP.`;
}
/** XREAD/XREADGROUP BLOCK from a script. */
export function errBlockFromScript(cmd: string): string {
  return `ERR ${cmd} command is not allowed with BLOCK option from scripts`;
}
/** XCLAIM unknown option. */
export function errXclaimOption(opt: string): string {
  return `ERR Unrecognized XCLAIM option '${opt}'`;
}
export const ERR_HLL_WRONGTYPE = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
export const ERR_HLL_INVALID = 'INVALIDOBJ Corrupted HLL object detected';
export const ERR_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
export const ERR_BIT_VALUE = 'ERR bit is not an integer or out of range';
export const ERR_BITFIELD_TYPE = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
export const ERR_BITFIELD_OVERFLOW_TYPE = 'ERR Invalid OVERFLOW type specified';
export const ERR_BITFIELD_RO = 'ERR BITFIELD_RO only supports the GET subcommand';
export const ERR_BITOP_NOT = 'ERR BITOP NOT must be called with a single source key.';
export const ERR_BITPOS_BIT = 'ERR The bit argument must be 1 or 0.';
/** min-replicas-to-write not met (Redis shared.noreplicaserr). */
export const ERR_NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';
export const ERR_READONLY = "READONLY You can't write against a read only replica.";
export const ERR_MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
/** scriptPrepareForRun: a script without allow-stale on a stale replica (reached inside EXEC). */
export const ERR_MASTERDOWN_SCRIPT =
  "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.";
