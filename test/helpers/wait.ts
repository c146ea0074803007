/** Waiting helpers shared by the process-based tests (cluster, Sentinel). */

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` every 100 ms until it returns a truthy value (returned); an exception counts as not
 * yet. @throws Error "timed out waiting for <what>" (with the last exception's message) after `ms`.
 */
export async function waitFor<T>(what: string, ms: number, fn: () => Promise<T> | T): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error)?.message ?? String(last)}` : ''}`);
    await sleep(100);
  }
}
