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
import { after, before, describe, it } from 'node:test';
import { createNodeRedisClient, FlowProducer, type Job, Queue, QueueEvents, RedisConnection, Worker } from 'bullmq';
import { createClient } from 'redis';
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

/** Which Redis driver BullMQ uses: its default ioredis, or node-redis through its adapter. */
type Driver = 'ioredis' | 'node-redis';

/** Runs `fn` with BullMQ creating its connections with `driver` (RedisConnection.clientFactory). */
async function withDriver(driver: Driver, fn: () => Promise<void>): Promise<void> {
  if (driver === 'ioredis') return fn();
  RedisConnection.clientFactory = (opts) =>
    createNodeRedisClient(createClient({ socket: { host: opts.host ?? '127.0.0.1', port: opts.port ?? 6379, reconnectStrategy: false } }));
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

describe('BullMQ on Keydra', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra();
  });
  after(async () => {
    await k.close();
  });

  for (const driver of ['ioredis', 'node-redis'] as const) {
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
});
