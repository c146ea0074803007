/**
 * A real BullMQ queue (npm `bullmq`, ioredis driver) against Keydra: jobs processed by a worker
 * with concurrency, retries with exponential backoff, delayed jobs, a parent/children flow,
 * QueueEvents (XREAD BLOCK on the events stream) and job counts.
 *
 * BullMQ runs almost everything through Lua scripts (EVALSHA, cmsgpack, cjson), streams (XADD
 * MAXLEN ~, XREAD BLOCK), BZPOPMIN on a marker zset, MULTI and pipelines, CLIENT SETNAME and
 * INFO. The same scenario runs against a real redis-server 7.0 as a control, so a failure that
 * only Keydra shows is Keydra's. Expected values come from what the test asks BullMQ to do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNodeRedisClient, FlowProducer, type Job, Queue, QueueEvents, RedisConnection, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startServer } from '../../src/index.js';
import { NO_REDIS, type Peer, startKeydra, startRedis } from '../helpers/servers.js';

/** Resolves once `pred()` is true, polling every 10 ms; rejects after `ms` milliseconds. */
async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Rejects with a clear message if `p` has not settled within `ms` milliseconds. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Data of the jobs in this scenario: a kind that tells the processor what to do, and a number. */
interface JobData {
  kind: 'double' | 'barrier' | 'flaky' | 'delayed' | 'doomed' | 'child' | 'parent';
  n: number;
}

/** Which Redis driver BullMQ uses: its default ioredis, or node-redis (RESP2 or RESP3) through its adapter. */
type Driver = 'ioredis' | 'node-redis' | 'node-redis-resp3';

/** Runs `fn` with BullMQ creating its connections with `driver` (RedisConnection.clientFactory). */
async function withDriver(driver: Driver, fn: () => Promise<void>): Promise<void> {
  if (driver === 'ioredis') return fn();
  RedisConnection.clientFactory = (opts) =>
    createNodeRedisClient(
      createClient({
        socket: { host: opts.host ?? '127.0.0.1', port: opts.port ?? 6379, reconnectStrategy: false },
        RESP: driver === 'node-redis-resp3' ? 3 : 2,
      }),
    );
  try {
    await fn();
  } finally {
    RedisConnection.clientFactory = undefined;
  }
}

/** Scenario runs so far (each uses its own queue name, so runs on one server do not mix). */
let runs = 0;

/** Runs the whole BullMQ scenario against the server on `port`; closes everything even on failure. */
async function bullmqScenario(port: number): Promise<void> {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const name = `q${port}-${++runs}`;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const queue = new Queue<JobData>(name, { connection });
    closers.push(() => queue.close());
    const events = new QueueEvents(name, { connection });
    closers.push(() => events.close());
    const completedEvents = new Map<string, string>();
    events.on('completed', ({ jobId, returnvalue }) => {
      completedEvents.set(jobId, String(returnvalue));
    });
    await within(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), 10_000, 'queue and events ready');

    // What the processor saw: start times of each attempt, the order of finished jobs, the
    // most jobs active at once, and the children values the parent read.
    const attempts = new Map<string, number[]>();
    const finishedOrder: string[] = [];
    let active = 0;
    let maxActive = 0;
    let barrierStarted = 0;
    let parentSawChildren: Record<string, unknown> | undefined;
    const processor = async (job: Job<JobData>): Promise<unknown> => {
      const id = job.id ?? '';
      attempts.set(id, [...(attempts.get(id) ?? []), Date.now()]);
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        switch (job.data.kind) {
          case 'double':
          case 'child':
            return job.data.n * 2;
          case 'barrier':
            // Two barrier jobs finish only once both are active: proves concurrency > 1.
            barrierStarted++;
            await waitFor(() => barrierStarted >= 2, 10_000, 'both barrier jobs active at once');
            return 'barrier';
          case 'flaky':
            if (job.attemptsMade < 2) throw new Error(`flaky failure ${job.attemptsMade + 1}`);
            return `ok after ${job.attemptsMade} failures`;
          case 'delayed':
            return 'late';
          case 'doomed':
            throw new Error('always fails');
          case 'parent':
            parentSawChildren = await job.getChildrenValues();
            return Object.values(parentSawChildren).reduce((s: number, v) => s + Number(v), 0);
        }
      } finally {
        active--;
        finishedOrder.push(`${job.data.kind}:${id}`);
      }
    };
    const worker = new Worker<JobData>(name, processor, { connection, concurrency: 4, drainDelay: 1 });
    closers.push(() => worker.close());
    const workerFailures: string[] = [];
    worker.on('failed', (job, err) => workerFailures.push(`${job?.data.kind}:${err.message}`));
    await within(worker.waitUntilReady(), 10_000, 'worker ready');

    // 1. Plain jobs, one by one and in bulk, plus two barrier jobs that need concurrency.
    const plain = [await queue.add('double', { kind: 'double', n: 0 })];
    plain.push(
      ...(await queue.addBulk(Array.from({ length: 19 }, (_, i) => ({ name: 'double', data: { kind: 'double' as const, n: i + 1 } })))),
    );
    const barriers = await queue.addBulk([
      { name: 'barrier', data: { kind: 'barrier', n: 0 } },
      { name: 'barrier', data: { kind: 'barrier', n: 1 } },
    ]);
    // QueueEvents reports each completion with its return value; the stored jobs agree.
    await waitFor(() => plain.every((j) => completedEvents.has(j.id ?? '')), 15_000, 'completed events for the plain jobs');
    assert.deepEqual(
      plain.map((j) => completedEvents.get(j.id ?? '')),
      plain.map((_, i) => String(i * 2)),
    );
    const stored = await Promise.all(plain.map((j) => queue.getJob(j.id ?? '')));
    assert.deepEqual(
      stored.map((j) => j?.returnvalue),
      plain.map((_, i) => i * 2),
    );
    await within(Promise.all(barriers.map((j) => j.waitUntilFinished(events))), 15_000, 'barrier jobs finished');
    assert.ok(maxActive >= 2, `max jobs active at once: ${maxActive}`);

    // 2. Retries with exponential backoff: fails twice, then succeeds on the third attempt.
    const backoffMs = 100;
    const flaky = await queue.add('flaky', { kind: 'flaky', n: 0 }, { attempts: 3, backoff: { type: 'exponential', delay: backoffMs } });
    assert.equal(await within(flaky.waitUntilFinished(events), 15_000, 'flaky job finished'), 'ok after 2 failures');
    const flakyDone = await queue.getJob(flaky.id ?? '');
    assert.equal(await flakyDone?.getState(), 'completed');
    assert.equal(flakyDone?.attemptsMade, 3);
    const starts = attempts.get(flaky.id ?? '') ?? [];
    assert.equal(starts.length, 3);
    // Exponential backoff: at least delay, then 2 x delay between attempts (never earlier).
    assert.ok(starts[1] - starts[0] >= backoffMs, `first retry after ${starts[1] - starts[0]} ms`);
    assert.ok(starts[2] - starts[1] >= 2 * backoffMs, `second retry after ${starts[2] - starts[1]} ms`);
    assert.deepEqual(workerFailures, ['flaky:flaky failure 1', 'flaky:flaky failure 2']);

    // A job that always fails ends in 'failed' with its reason once its attempts are used up.
    const doomed = await queue.add('doomed', { kind: 'doomed', n: 0 }, { attempts: 2 });
    await assert.rejects(within(doomed.waitUntilFinished(events), 15_000, 'doomed job failed'), /always fails/);
    const doomedDone = await queue.getJob(doomed.id ?? '');
    assert.equal(await doomedDone?.getState(), 'failed');
    assert.equal(doomedDone?.failedReason, 'always fails');
    assert.equal(doomedDone?.attemptsMade, 2);

    // 3. A delayed job: waits in 'delayed', then runs no earlier than its delay.
    const delayMs = 500;
    const delayed = await queue.add('delayed', { kind: 'delayed', n: 0 }, { delay: delayMs });
    assert.equal(await delayed.getState(), 'delayed');
    assert.equal((await queue.getJobCounts('delayed')).delayed, 1);
    assert.equal(await within(delayed.waitUntilFinished(events), 15_000, 'delayed job finished'), 'late');
    const delayedDone = await queue.getJob(delayed.id ?? '');
    const ranAfter = (delayedDone?.processedOn ?? 0) - delayed.timestamp;
    assert.ok(ranAfter >= delayMs, `delayed job ran ${ranAfter} ms after it was added`);

    // 4. A flow: the parent runs only after its three children and reads their return values.
    const flow = new FlowProducer({ connection });
    closers.push(() => flow.close());
    const tree = await flow.add({
      name: 'parent',
      queueName: name,
      data: { kind: 'parent', n: 0 },
      children: [1, 2, 3].map((n) => ({ name: 'child', queueName: name, data: { kind: 'child' as const, n } })),
    });
    assert.equal(await tree.job.getState(), 'waiting-children');
    assert.equal(await within(tree.job.waitUntilFinished(events), 15_000, 'parent job finished'), 12);
    const childKeys = (tree.children ?? []).map((c) => `bull:${name}:${c.job.id}`).sort();
    assert.deepEqual(Object.keys(parentSawChildren ?? {}).sort(), childKeys);
    assert.deepEqual(Object.values(parentSawChildren ?? {}).sort(), [2, 4, 6]);
    const parentAt = finishedOrder.findIndex((s) => s.startsWith('parent:'));
    const childrenAt = (tree.children ?? []).map((c) => finishedOrder.indexOf(`child:${c.job.id}`));
    assert.ok(
      childrenAt.every((i) => i >= 0 && i < parentAt),
      `finish order: ${finishedOrder.slice(-4).join(', ')}`,
    );

    // 5. QueueEvents saw every completion; the counts add up.
    const completedIds = [...plain, ...barriers, flaky, delayed, tree.job, ...(tree.children ?? []).map((c) => c.job)].map(
      (j) => j.id ?? '',
    );
    await waitFor(() => completedIds.every((id) => completedEvents.has(id)), 5000, 'completed events for every job');
    assert.equal(completedEvents.get(plain[7].id ?? ''), '14');
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'waiting-children', 'prioritized');
    assert.deepEqual(counts, {
      completed: completedIds.length,
      failed: 1,
      waiting: 0,
      active: 0,
      delayed: 0,
      'waiting-children': 0,
      prioritized: 0,
    });
    assert.equal(await queue.count(), 0);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

/**
 * More of BullMQ's scripts: priorities, pause/resume, progress and logs, removeOnComplete,
 * deduplication, job schedulers, a rate limiter, promote/retry/updateData/remove, CLIENT LIST
 * based worker discovery, metrics, clean and obliterate.
 */
async function featuresScenario(port: number): Promise<void> {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const name = `f${port}-${++runs}`;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const queue = new Queue(name, { connection });
    closers.push(() => queue.close());
    const events = new QueueEvents(name, { connection });
    closers.push(() => events.close());
    const progress: unknown[] = [];
    events.on('progress', ({ data }) => progress.push(data));
    await within(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), 10_000, 'queue and events ready');

    // Priorities: with one worker started after the adds, plain jobs run first, then priority
    // 1 (highest), 2, 3; lower numbers first and FIFO within a priority.
    await queue.add('p3', {}, { priority: 3 });
    await queue.add('p1a', {}, { priority: 1 });
    await queue.add('plain', {});
    await queue.add('p2', {}, { priority: 2 });
    await queue.add('p1b', {}, { priority: 1 });
    assert.deepEqual(await queue.getJobCounts('waiting', 'prioritized'), { waiting: 1, prioritized: 4 });
    assert.deepEqual(await queue.getCountsPerPriority([0, 1, 2, 3]), { '0': 1, '1': 2, '2': 1, '3': 1 });
    const order: string[] = [];
    const starts: Record<string, number[]> = {};
    const worker = new Worker(
      name,
      async (job) => {
        order.push(job.name);
        (starts[job.name] ??= []).push(Date.now());
        if (job.name === 'progress') {
          await job.updateProgress(50);
          await job.log('half way');
          await job.updateProgress({ step: 'done' });
          await job.log('finished');
        }
        if (job.name === 'fails') throw new Error('fails once');
        return job.data;
      },
      { connection, concurrency: 1, drainDelay: 1, autorun: false, name: 'w-features' },
    );
    closers.push(() => worker.close());
    worker.run().catch(() => {});
    await waitFor(() => order.length === 5, 10_000, 'prioritized jobs processed');
    assert.deepEqual(order, ['plain', 'p1a', 'p1b', 'p2', 'p3']);

    // Worker discovery parses CLIENT LIST for the connection names BullMQ sets.
    const workers = await queue.getWorkers();
    assert.ok(workers.length >= 1, 'getWorkers() finds the worker connection');
    assert.ok(workers.some((w) => w.rawname?.endsWith(':w-features') || w.name === name));

    // Progress and logs reach QueueEvents and the job's log list.
    const prog = await queue.add('progress', { x: 1 });
    assert.deepEqual(await within(prog.waitUntilFinished(events), 10_000, 'progress job'), { x: 1 });
    await waitFor(() => progress.length === 2, 5000, 'progress events');
    assert.deepEqual(progress, [50, { step: 'done' }]);
    assert.deepEqual(await queue.getJobLogs(prog.id ?? ''), { logs: ['half way', 'finished'], count: 2 });

    // removeOnComplete deletes the job hash once done; deduplication returns the first job.
    // (Not waitUntilFinished: a job removed before it looks is "Missing key ... isFinished", on
    // redis-server too; the completed event, listened for before the add, cannot be missed.)
    const completedIds = new Set<string>();
    const onCompleted = ({ jobId }: { jobId: string }) => completedIds.add(jobId);
    events.on('completed', onCompleted);
    const gone = await queue.add('gone', { y: 2 }, { removeOnComplete: true });
    const goneId = gone.id ?? '';
    await waitFor(() => completedIds.has(goneId), 10_000, 'removeOnComplete job');
    events.off('completed', onCompleted);
    assert.equal(await queue.getJob(goneId), undefined);
    await queue.pause();
    assert.equal(await queue.isPaused(), true);
    const d1 = await queue.add('dedup', { n: 1 }, { deduplication: { id: 'same' } });
    const d2 = await queue.add('dedup', { n: 2 }, { deduplication: { id: 'same' } });
    assert.equal(d2.id, d1.id);
    assert.equal(await queue.getDeduplicationJobId('same'), d1.id);
    // While paused nothing runs; updateData changes what the worker will see.
    assert.deepEqual(await queue.getJobCounts('waiting'), { waiting: 1 });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await d1.getState(), 'waiting');
    await d1.updateData({ n: 10 });
    await queue.resume();
    assert.deepEqual(await within(d1.waitUntilFinished(events), 10_000, 'deduplicated job'), { n: 10 });

    // A delayed job can be promoted; a failed one retried; a waiting one removed.
    const late = await queue.add('late', { z: 3 }, { delay: 60_000 });
    assert.equal(await late.getState(), 'delayed');
    await late.promote();
    assert.deepEqual(await within(late.waitUntilFinished(events), 10_000, 'promoted job'), { z: 3 });
    const fails = await queue.add('fails', {});
    await assert.rejects(within(fails.waitUntilFinished(events), 10_000, 'failing job'), /fails once/);
    const failed = await queue.getJob(fails.id ?? '');
    assert.equal(await failed?.getState(), 'failed');
    await queue.pause();
    await failed?.retry();
    assert.equal(await queue.getJobState(fails.id ?? ''), 'waiting');
    const removable = await queue.add('removable', {});
    assert.equal(await queue.remove(removable.id ?? ''), 1);
    assert.equal(await queue.getJob(removable.id ?? ''), undefined);
    await queue.remove(fails.id ?? '');
    await queue.resume();

    // A job scheduler repeating every 100 ms with a limit of 3 produces 3 runs.
    await queue.upsertJobScheduler('ticker', { every: 100, limit: 3 }, { name: 'tick', data: { t: true } });
    assert.equal((await queue.getJobSchedulers()).length, 1);
    await waitFor(() => (starts.tick ?? []).length === 3, 10_000, 'three scheduled runs');
    await queue.removeJobScheduler('ticker');
    assert.equal(await queue.getJobSchedulersCount(), 0);

    // Metrics and clean: completed jobs are counted, then cleaned away.
    await worker.close();
    const completed = await queue.getCompletedCount();
    assert.ok(completed >= 10, `completed: ${completed}`);
    const cleaned = await queue.clean(0, 1000, 'completed');
    assert.equal(cleaned.length, completed);
    assert.equal(await queue.getCompletedCount(), 0);

    // A rate-limited worker: at most 2 jobs per 300 ms window. processedOn is the time the job
    // was moved to active (the same script that counts the window), so the check does not depend
    // on how late the processor callback runs.
    const limitedStarts: number[] = [];
    const limited = new Worker(
      name,
      async (job) => {
        limitedStarts.push(job.processedOn ?? 0);
      },
      { connection, concurrency: 4, drainDelay: 1, limiter: { max: 2, duration: 300 } },
    );
    closers.push(() => limited.close());
    await queue.addBulk([1, 2, 3, 4].map((i) => ({ name: 'limited', data: { i } })));
    await waitFor(() => limitedStarts.length === 4, 10_000, 'rate-limited jobs');
    limitedStarts.sort((a, b) => a - b);
    assert.ok(limitedStarts[2] - limitedStarts[0] >= 250, `third job ${limitedStarts[2] - limitedStarts[0]} ms after the first`);
    await limited.close();

    // obliterate removes the queue's keys.
    await events.close();
    await queue.obliterate({ force: true });
    const client = new Redis({ port, lazyConnect: true });
    closers.push(async () => client.disconnect());
    await client.connect();
    // Only the rate limiter's counter may remain, and it expires on its own.
    const left = await client.keys(`bull:${name}:*`);
    assert.deepEqual(
      left.filter((key) => !key.endsWith(':limiter')),
      [],
    );
    for (const key of left) assert.ok((await client.pttl(key)) > 0, `${key} has a TTL`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

/**
 * Locks and stalls, driven through BullMQ's manual-processing API: a job fetched with
 * getNextJob holds a lock (SET PX); extendLock renews it; a job whose lock expires is found by
 * the stalled checker, moved back to wait (QueueEvents 'stalled') and processed again.
 */
async function stallsScenario(port: number): Promise<void> {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const name = `s${port}-${++runs}`;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const queue = new Queue(name, { connection });
    closers.push(() => queue.close());
    const events = new QueueEvents(name, { connection });
    closers.push(() => events.close());
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    await within(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), 10_000, 'queue and events ready');

    // Manual processing: fetch, extend the lock, complete with a token.
    const manual = new Worker(name, null, { connection, lockDuration: 400 });
    closers.push(() => manual.close());
    const first = await queue.add('manual', { v: 1 });
    const got = await manual.getNextJob('token-1');
    assert.equal(got?.id, first.id);
    assert.equal(await got?.getState(), 'active');
    const client = new Redis({ port, lazyConnect: true });
    closers.push(async () => client.disconnect());
    await client.connect();
    const lockKey = `bull:${name}:${first.id}:lock`;
    assert.equal(await client.get(lockKey), 'token-1');
    const ttl = await client.pttl(lockKey);
    assert.ok(ttl > 0 && ttl <= 400, `lock ttl ${ttl}`);
    assert.equal(await got?.extendLock('token-1', 60_000), 1);
    assert.ok((await client.pttl(lockKey)) > 400);
    // A wrong token cannot complete the job; the right one can.
    await assert.rejects(got?.moveToCompleted('nope', 'wrong-token', false) ?? Promise.resolve(), /Missing lock|lock/i);
    await got?.moveToCompleted('done by hand', 'token-1', false);
    assert.equal(await queue.getJobState(first.id ?? ''), 'completed');
    assert.equal(await client.exists(lockKey), 0);

    // A job fetched and then abandoned: its lock expires, the stalled checker of a real worker
    // moves it back to wait and the job runs again.
    const abandoned = await queue.add('abandoned', { v: 2 });
    const taken = await manual.getNextJob('token-2');
    assert.equal(taken?.id, abandoned.id);
    await manual.close();
    const processed: string[] = [];
    const worker = new Worker(
      name,
      async (job) => {
        processed.push(job.id ?? '');
        return 'recovered';
      },
      { connection, stalledInterval: 300, lockDuration: 400, drainDelay: 1 },
    );
    closers.push(() => worker.close());
    assert.equal(await within(abandoned.waitUntilFinished(events), 15_000, 'stalled job recovered'), 'recovered');
    assert.deepEqual(processed, [abandoned.id]);
    await waitFor(() => stalled.length === 1, 5000, 'stalled event');
    assert.deepEqual(stalled, [abandoned.id]);
    const done = await queue.getJob(abandoned.id ?? '');
    assert.equal(done?.attemptsStarted, 2);
    assert.equal(done?.stalledCounter, 1);

    // A job that runs longer than its lock duration keeps its lock by renewal and is not stalled.
    await worker.close();
    const slow = await queue.add('slow', { v: 3 });
    const slowWorker = new Worker(
      name,
      async () => {
        await new Promise((r) => setTimeout(r, 2500));
        return 'slow ok';
      },
      { connection, lockDuration: 1000, stalledInterval: 500, drainDelay: 1 },
    );
    closers.push(() => slowWorker.close());
    assert.equal(await within(slow.waitUntilFinished(events), 15_000, 'slow job'), 'slow ok');
    assert.deepEqual(stalled, [abandoned.id]);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

/**
 * Every key of db 0 in a comparable form: type, contents (latin1) and whether it has a TTL. Used to
 * check that a restart (AOF replay, RDB load) gives back exactly the keyspace BullMQ left.
 */
async function logicalDump(client: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const l1 = (b: Buffer) => b.toString('latin1');
  for (const keyBuf of (await client.keysBuffer('*')).sort(Buffer.compare)) {
    const key = l1(keyBuf);
    const type = await client.type(keyBuf);
    let value: unknown;
    if (type === 'string') value = l1((await client.getBuffer(keyBuf)) ?? Buffer.alloc(0));
    else if (type === 'hash') value = Object.entries(await client.hgetallBuffer(keyBuf)).sort();
    else if (type === 'list') value = (await client.lrangeBuffer(keyBuf, 0, -1)).map(l1);
    else if (type === 'set') value = (await client.smembersBuffer(keyBuf)).map(l1).sort();
    else if (type === 'zset') value = ((await client.callBuffer('ZRANGE', keyBuf, 0, -1, 'WITHSCORES')) as Buffer[]).map(l1);
    else if (type === 'stream') value = JSON.stringify(await client.xrange(keyBuf, '-', '+'));
    out[key] = { type, value, ttl: (await client.pttl(keyBuf)) > 0 };
  }
  return out;
}

/**
 * BullMQ state across restarts of Keydra: jobs in every state are written with the AOF on, the
 * server restarts (AOF replay), then SAVEs and restarts from dump.rdb; each time the keyspace is
 * the same, and a new worker finishes the work that was left (ids keep counting, the events
 * stream keeps growing).
 */
async function restartScenario(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keydra-bullmq-'));
  const closers: (() => Promise<unknown>)[] = [];
  let srv = await startServer({ port: 0, dir, save: '', appendonly: true });
  try {
    const connection = { host: '127.0.0.1', port: srv.port, maxRetriesPerRequest: null };
    const name = 'restart';
    const queue = new Queue(name, { connection });
    const worker = new Worker(
      name,
      async (job) => {
        if (job.data.fail) throw new Error(`failed ${job.data.i}`);
        return job.data.i * 10;
      },
      { connection, concurrency: 2, drainDelay: 1 },
    );
    const events = new QueueEvents(name, { connection });
    await within(Promise.all([queue.waitUntilReady(), worker.waitUntilReady(), events.waitUntilReady()]), 10_000, 'ready');
    const first = await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'j', data: { i, fail: i % 4 === 0 } })));
    await within(Promise.allSettled(first.map((j) => j.waitUntilFinished(events))), 15_000, 'first batch');
    await worker.close();
    // Left for later: waiting jobs, far-delayed jobs and a flow whose parent waits for its child.
    await queue.addBulk([10, 11, 12].map((i) => ({ name: 'j', data: { i } })));
    await queue.addBulk([13, 14].map((i) => ({ name: 'j', data: { i }, opts: { delay: 3_600_000 } })));
    const flow = new FlowProducer({ connection });
    const tree = await flow.add({
      name: 'parent',
      queueName: name,
      data: { i: 100 },
      children: [{ name: 'child', queueName: name, data: { i: 7 } }],
    });
    await flow.close();
    await events.close();
    const countsBefore = await queue.getJobCounts();
    assert.deepEqual(countsBefore, { active: 0, completed: 7, delayed: 2, failed: 3, prioritized: 0, waiting: 4, 'waiting-children': 1 });
    await queue.close();
    const client = new Redis({ port: srv.port, lazyConnect: true });
    await client.connect();
    const before = await logicalDump(client);
    client.disconnect();
    assert.ok(Object.keys(before).length > 20);

    // Restart from the AOF, then SAVE and restart from the RDB file alone.
    for (const restart of [{ appendonly: true }, { appendonly: false }]) {
      if (!restart.appendonly) {
        const c = new Redis({ port: srv.port, lazyConnect: true });
        await c.connect();
        assert.equal(await c.save(), 'OK');
        c.disconnect();
      }
      await srv.close();
      srv = await startServer({ port: 0, dir, save: '', ...restart });
      const c = new Redis({ port: srv.port, lazyConnect: true });
      await c.connect();
      assert.deepEqual(await logicalDump(c), before, `keyspace after restart with appendonly ${restart.appendonly}`);
      c.disconnect();
    }

    // A worker on the restarted server finishes what was left; new ids continue the sequence.
    const conn2 = { host: '127.0.0.1', port: srv.port, maxRetriesPerRequest: null };
    const queue2 = new Queue(name, { connection: conn2 });
    closers.push(() => queue2.close());
    const events2 = new QueueEvents(name, { connection: conn2 });
    closers.push(() => events2.close());
    await within(events2.waitUntilReady(), 10_000, 'events ready after restart');
    const worker2 = new Worker(name, async (job) => job.data.i * 10, { connection: conn2, concurrency: 2, drainDelay: 1 });
    closers.push(() => worker2.close());
    const next = await queue2.add('j', { i: 20 });
    const idCounter = (before[`bull:${name}:id`] as { value: string }).value;
    assert.equal(next.id, String(Number(idCounter) + 1));
    assert.equal(await within(next.waitUntilFinished(events2), 15_000, 'job added after restart'), 200);
    const parent = await queue2.getJob(tree.job.id ?? '');
    assert.ok(parent);
    assert.equal(await within(parent.waitUntilFinished(events2), 15_000, 'flow parent after restart'), 1000);
    assert.deepEqual(await queue2.getJobCounts('completed', 'failed', 'delayed', 'waiting', 'waiting-children'), {
      completed: 13,
      failed: 3,
      delayed: 2,
      waiting: 0,
      'waiting-children': 0,
    });
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Flows beyond the happy path: three levels across two queues, a failing child that fails its
 * parent (failParentOnFailure), one whose failure is ignored (ignoreDependencyOnFailure), one
 * removed from the parent's dependencies (removeDependencyOnFailure), and dependency counts.
 */
async function flowsScenario(port: number): Promise<void> {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const top = `ft${port}-${++runs}`;
  const low = `fl${port}-${runs}`;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const events = new QueueEvents(top, { connection });
    closers.push(() => events.close());
    await within(events.waitUntilReady(), 10_000, 'events ready');
    const processor = async (job: Job) => {
      if (job.data.fail) throw new Error(`child ${job.name} failed`);
      const children = await job.getChildrenValues();
      return Object.values(children).reduce((sum: number, v) => sum + Number(v), Number(job.data.v ?? 0));
    };
    for (const q of [top, low]) {
      const w = new Worker(q, processor, { connection, concurrency: 3, drainDelay: 1 });
      closers.push(() => w.close());
    }
    const flow = new FlowProducer({ connection });
    closers.push(() => flow.close());

    // Three levels: root (top queue) <- middle (low queue) <- two leaves (top queue).
    const tree = await flow.add({
      name: 'root',
      queueName: top,
      data: { v: 1 },
      children: [
        {
          name: 'middle',
          queueName: low,
          data: { v: 10 },
          children: [
            { name: 'leaf', queueName: top, data: { v: 100 } },
            { name: 'leaf', queueName: top, data: { v: 1000 } },
          ],
        },
      ],
    });
    assert.deepEqual(await tree.job.getDependenciesCount(), { failed: 0, ignored: 0, processed: 0, unprocessed: 1 });
    assert.equal(await within(tree.job.waitUntilFinished(events), 15_000, 'three-level flow'), 1111);
    assert.deepEqual(await tree.job.getDependenciesCount(), { failed: 0, ignored: 0, processed: 1, unprocessed: 0 });

    // failParentOnFailure: the parent fails without running.
    const failing = await flow.add({
      name: 'doomed-parent',
      queueName: top,
      data: { v: 0 },
      children: [
        { name: 'bad', queueName: top, data: { fail: true }, opts: { failParentOnFailure: true } },
        { name: 'good', queueName: top, data: { v: 5 } },
      ],
    });
    await assert.rejects(within(failing.job.waitUntilFinished(events), 15_000, 'parent failed by its child'), /child/);
    assert.equal(await failing.job.getState(), 'failed');

    // ignoreDependencyOnFailure and removeDependencyOnFailure: the parent still runs.
    const tolerant = await flow.add({
      name: 'tolerant-parent',
      queueName: top,
      data: { v: 2 },
      children: [
        { name: 'ignored', queueName: top, data: { fail: true }, opts: { ignoreDependencyOnFailure: true } },
        { name: 'removed', queueName: top, data: { fail: true }, opts: { removeDependencyOnFailure: true } },
        { name: 'good', queueName: top, data: { v: 20 } },
      ],
    });
    assert.equal(await within(tolerant.job.waitUntilFinished(events), 15_000, 'tolerant parent'), 22);
    const ignored = await tolerant.job.getIgnoredChildrenFailures();
    assert.deepEqual(Object.values(ignored), ['child ignored failed']);
    assert.deepEqual(await tolerant.job.getDependenciesCount(), { failed: 0, ignored: 1, processed: 1, unprocessed: 0 });
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

describe('BullMQ on Keydra', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra();
  });
  after(async () => {
    await k.close();
  });

  for (const driver of ['ioredis', 'node-redis', 'node-redis-resp3'] as const) {
    it(`Keydra (${driver}): worker concurrency, retries with backoff, delayed jobs, flows, events, counts`, async () => {
      await withDriver(driver, () => bullmqScenario(k.port));
    });

    it(`control (${driver}): the same scenario against redis-server`, async (t) => {
      const r = await startRedis();
      if (!r) return t.skip(NO_REDIS);
      try {
        await withDriver(driver, () => bullmqScenario(r.port));
      } finally {
        await r.close();
      }
    });
  }

  it('Keydra: priorities, pause/resume, progress, logs, dedup, schedulers, rate limit, clean, obliterate', async () => {
    await featuresScenario(k.port);
  });

  it('control: the same features against redis-server', async (t) => {
    const r = await startRedis();
    if (!r) return t.skip(NO_REDIS);
    try {
      await featuresScenario(r.port);
    } finally {
      await r.close();
    }
  });

  it('Keydra: nested flows across queues, failParentOnFailure, ignored and removed dependencies', async () => {
    await flowsScenario(k.port);
  });

  it('control: the same flows against redis-server', async (t) => {
    const r = await startRedis();
    if (!r) return t.skip(NO_REDIS);
    try {
      await flowsScenario(r.port);
    } finally {
      await r.close();
    }
  });

  it('Keydra: locks, lock renewal, stalled job recovery', async () => {
    await stallsScenario(k.port);
  });

  it('control: the same locks and stalls against redis-server', async (t) => {
    const r = await startRedis();
    if (!r) return t.skip(NO_REDIS);
    try {
      await stallsScenario(r.port);
    } finally {
      await r.close();
    }
  });

  it('Keydra: BullMQ state survives restarts (AOF replay, then RDB load) and work resumes', async () => {
    await restartScenario();
  });
});
