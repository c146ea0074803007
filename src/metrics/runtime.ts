/**
 * Node runtime measurements for Keydra's own metrics: event-loop delay (perf_hooks
 * monitorEventLoopDelay), GC pauses (a PerformanceObserver of `gc` entries) and V8 heap statistics.
 *
 * One RuntimeMonitor per metrics server, started with it and stopped at its close: nothing runs
 * when no metrics port is configured. Event-loop delay and GC are properties of the process, so
 * two servers embedded in one process see the same values (each through its own monitor).
 */
import { constants, type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** Sampling period of the event-loop delay monitor, ms (Node's default). */
const RESOLUTION_MS = 10;

/** Event-loop delay over a window (seconds), and the window's sample count. */
export interface LoopDelayWindow {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** [quantile (0..1), seconds]. */
  quantiles: [number, number][];
}

/** GC pause kinds by perf_hooks `detail.kind`. */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** GC pauses seen since the last `takeGcWindow`. */
export interface GcWindow {
  count: number;
  /** Sum and longest pause, seconds. */
  total: number;
  max: number;
}

/** See module doc. Call `stop()` to release the timer and the observer. */
export class RuntimeMonitor {
  private readonly delays = new Map<string, IntervalHistogram>();
  private observer: PerformanceObserver | null = null;
  /** Called with (kind, seconds) for each GC pause (the metrics' GC histogram). */
  onGc: ((kind: string, seconds: number) => void) | null = null;
  private gc: GcWindow = { count: 0, total: 0, max: 0 };

  /** Starts the GC observer (event-loop windows start on their first read). */
  start(): void {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const seconds = e.duration / 1000;
        const kind = GC_KINDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
        this.gc.count++;
        this.gc.total += seconds;
        if (seconds > this.gc.max) this.gc.max = seconds;
        this.onGc?.(kind, seconds);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /**
   * Event-loop delay since the previous call for the same `consumer` (each reader, /metrics and
   * the dashboard, has its own window; the first call starts it and returns an empty window).
   * Node's histogram records the whole timer period; the monitor's resolution is subtracted so
   * that an idle loop reports ~0.
   */
  takeLoopDelay(consumer: string, quantiles: readonly number[]): LoopDelayWindow {
    let h = this.delays.get(consumer);
    if (h === undefined) {
      h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      h.enable();
      this.delays.set(consumer, h);
    }
    // Rounded to the ns: the subtraction leaves float noise in the 17th digit.
    const adj = (ns: number) => Math.max(0, Math.round(ns - RESOLUTION_MS * 1e6) / 1e9);
    const count = h.count;
    const w: LoopDelayWindow =
      count === 0
        ? { count: 0, min: 0, max: 0, mean: 0, quantiles: quantiles.map((q) => [q, 0]) }
        : {
            count,
            min: adj(h.min),
            max: adj(h.max),
            mean: adj(h.mean),
            quantiles: quantiles.map((q) => [q, adj(h.percentile(q * 100))]),
          };
    h.reset();
    return w;
  }

  /** Stops the event-loop window of `consumer` (the dashboard's, when its last viewer leaves). */
  dropLoopDelay(consumer: string): void {
    this.delays.get(consumer)?.disable();
    this.delays.delete(consumer);
  }

  /** GC pauses since the previous call. */
  takeGcWindow(): GcWindow {
    const w = this.gc;
    this.gc = { count: 0, total: 0, max: 0 };
    return w;
  }

  /** Stops every monitor and the GC observer. */
  stop(): void {
    for (const h of this.delays.values()) h.disable();
    this.delays.clear();
    this.observer?.disconnect();
    this.observer = null;
    this.onGc = null;
  }
}

/** V8 heap numbers (bytes): total, used, limit, external, and used/size per heap space. */
export interface HeapStats {
  total: number;
  used: number;
  limit: number;
  external: number;
  spaces: { name: string; used: number; size: number }[];
}

/** Reads V8's heap statistics (v8.getHeapStatistics / getHeapSpaceStatistics). */
export function heapStats(): HeapStats {
  const h = v8.getHeapStatistics();
  return {
    total: h.total_heap_size,
    used: h.used_heap_size,
    limit: h.heap_size_limit,
    external: h.external_memory,
    spaces: v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, used: s.space_used_size, size: s.space_size })),
  };
}
