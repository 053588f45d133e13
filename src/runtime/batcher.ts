import { ClientClosedError, OverloadedError } from '../errors/domain-error';

/**
 * Continuous batching for one model version, in the manner of text-embeddings-inference's queue: a
 * single owner drains one FIFO queue of sequences, forms batches bounded by a sequence count and a
 * padding-aware token budget (batch size × longest sequence), runs one batch at a time and
 * scatters the results back to the requests that queued them.
 *
 * Nothing waits for company: when the model is idle a request starts on the next turn of the event
 * loop (so requests read in the same I/O phase share a batch), and the requests that arrive while
 * a batch runs form the next one, which starts as soon as it ends. Under load batches fill by
 * themselves; at low load a request pays no batching delay. `maxWaitMs` can still hold an idle
 * model for a while, for operators who prefer fuller batches to latency; it is 0 by default.
 *
 * The batcher knows nothing of ONNX Runtime: it is given a `run` function over items, so the
 * scheduling can be tested with a fake model.
 */

export interface BatchingOptions {
  maxBatchSize: number;
  /** Padded tokens per batch: size × longest sequence. A lone longer sequence still runs alone. */
  maxBatchTokens: number;
  /**
   * How long an idle model may hold the oldest queued sequence for company before its batch runs
   * anyway. 0 (the default) never holds it: batches form from what arrives while one runs.
   */
  maxWaitMs: number;
  /** Admission limit, in queued sequences; past it `submit` throws OverloadedError at once. */
  maxQueue: number;
  /** false → no batching across requests: each request's sequences run on their own. */
  enabled: boolean;
}

export interface BatchStats {
  size: number;
  /** Real tokens in the batch. */
  tokens: number;
  /** Tokens after padding every sequence to the longest one. */
  paddedTokens: number;
  seconds: number;
}

export interface BatcherHooks {
  batchRun?(stats: BatchStats): void;
  queued?(queueSeconds: number): void;
  rejected?(reason: 'overloaded' | 'client_closed'): void;
}

export interface BatchedResult<R> {
  results: R[];
  /** From submission until the first of the request's batches started. */
  queueMs: number;
  /** From the start of its first batch to the end of its last one. */
  inferenceMs: number;
}

/** Runs one batch; must return one result per item, in the items' order. */
export type BatchRunner<I, R> = (items: I[]) => Promise<R[]>;

interface PendingRequest<R> {
  id: number;
  results: R[];
  remaining: number;
  enqueuedAt: number;
  firstStart?: number;
  lastEnd?: number;
  settled: boolean;
  resolve(value: BatchedResult<R>): void;
  reject(error: unknown): void;
  detachAbort?: () => void;
}

interface QueuedItem<I, R> {
  request: PendingRequest<R>;
  index: number;
  item: I;
  length: number;
  seq: number;
}

export class DynamicBatcher<I, R> {
  private queue: QueuedItem<I, R>[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** A batch start is booked for the next turn of the event loop. */
  private startBooked = false;
  private closed = false;
  private nextRequestId = 0;
  private nextSeq = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly options: BatchingOptions,
    private readonly run: BatchRunner<I, R>,
    private readonly lengthOf: (item: I) => number,
    private readonly hooks: BatcherHooks = {},
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (options.maxBatchSize < 1) throw new RangeError('maxBatchSize must be at least 1');
    if (options.maxBatchTokens < 1) throw new RangeError('maxBatchTokens must be at least 1');
  }

  /** Sequences waiting to run (not counting the batch on the model now). */
  queuedCount(): number {
    return this.queue.length;
  }

  isIdle(): boolean {
    return !this.running && !this.startBooked && this.queue.length === 0;
  }

  /**
   * Queue a request's sequences. Resolves with one result per item, in order, once every batch
   * holding them has run. Throws OverloadedError synchronously-fast past the admission limit; an
   * aborted signal removes the request's sequences that have not started.
   */
  submit(items: I[], signal?: AbortSignal): Promise<BatchedResult<R>> {
    if (this.closed) return Promise.reject(new Error('the batcher is closed'));
    if (signal?.aborted) {
      this.hooks.rejected?.('client_closed');
      return Promise.reject(new ClientClosedError());
    }
    if (items.length === 0) return Promise.resolve({ results: [], queueMs: 0, inferenceMs: 0 });
    // An empty queue always admits, so one request bigger than the limit is not refused forever.
    if (this.queue.length > 0 && this.queue.length + items.length > this.options.maxQueue) {
      this.hooks.rejected?.('overloaded');
      return Promise.reject(
        new OverloadedError(`the queue is full (${this.queue.length} sequences waiting, limit ${this.options.maxQueue})`),
      );
    }

    return new Promise<BatchedResult<R>>((resolve, reject) => {
      const request: PendingRequest<R> = {
        id: this.nextRequestId++,
        results: new Array<R>(items.length),
        remaining: items.length,
        enqueuedAt: this.clock(),
        settled: false,
        resolve,
        reject,
      };
      items.forEach((item, index) => this.queue.push({ request, index, item, length: this.lengthOf(item), seq: this.nextSeq++ }));
      if (signal) {
        const onAbort = () => this.abort(request);
        signal.addEventListener('abort', onAbort, { once: true });
        request.detachAbort = () => signal.removeEventListener('abort', onAbort);
      }
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuse new work; what is queued still runs. */
  close(): Promise<void> {
    this.closed = true;
    return this.drain();
  }

  private abort(request: PendingRequest<R>): void {
    if (request.settled) return;
    // Queued sequences leave now; any already on the model finish there and are dropped.
    this.queue = this.queue.filter((q) => q.request !== request);
    this.settle(request, new ClientClosedError());
    this.hooks.rejected?.('client_closed');
    this.notifyIfIdle();
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.startBooked || this.queue.length === 0) return;
    const { enabled, maxWaitMs } = this.options;
    const waited = this.clock() - this.queue[0].request.enqueuedAt;
    if (enabled && maxWaitMs > 0 && waited < maxWaitMs && !this.selectBatch().full) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, maxWaitMs - waited);
      return;
    }
    this.clearTimer();
    // The batch is chosen when it starts, so it holds whatever arrived in the meantime.
    this.startBooked = true;
    setImmediate(() => {
      this.startBooked = false;
      if (this.running || this.queue.length === 0) {
        this.notifyIfIdle();
        return;
      }
      void this.runBatch(this.selectBatch().items);
    });
  }

  /**
   * The oldest queued sequence always goes next (no starvation). Its companions are the queued
   * sequences closest to it in length, added while the batch stays within the size and padded
   * token bounds, so a batch pads little. `full` says whether the bounds, not the queue, stopped it.
   */
  private selectBatch(): { items: QueuedItem<I, R>[]; full: boolean } {
    const { maxBatchSize, maxBatchTokens } = this.options;
    const oldest = this.queue[0];
    const pool = this.options.enabled ? this.queue : this.queue.filter((q) => q.request === oldest.request);
    const sorted = [...pool].sort((a, b) => a.length - b.length || a.seq - b.seq);
    const at = sorted.indexOf(oldest);
    const chosen = [oldest];
    let lo = at - 1;
    let hi = at + 1;
    let shortest = oldest.length;
    let longest = oldest.length;
    let full = false;
    while (lo >= 0 || hi < sorted.length) {
      if (chosen.length >= maxBatchSize) {
        full = true;
        break;
      }
      // Prefer the neighbour that widens the length range least.
      const takeLow = hi >= sorted.length || (lo >= 0 && longest - sorted[lo].length <= sorted[hi].length - shortest);
      const candidate = takeLow ? sorted[lo] : sorted[hi];
      const newLongest = Math.max(longest, candidate.length);
      if ((chosen.length + 1) * newLongest > maxBatchTokens) {
        full = true;
        break;
      }
      chosen.push(candidate);
      longest = newLongest;
      shortest = Math.min(shortest, candidate.length);
      if (takeLow) lo--;
      else hi++;
    }
    full ||= chosen.length >= maxBatchSize;
    // Run shortest first within the batch; the order does not change results.
    chosen.sort((a, b) => a.length - b.length || a.seq - b.seq);
    return { items: chosen, full };
  }

  private async runBatch(batch: QueuedItem<I, R>[]): Promise<void> {
    this.running = true;
    const inBatch = new Set(batch);
    this.queue = this.queue.filter((q) => !inBatch.has(q));
    const start = this.clock();
    for (const q of batch) {
      if (q.request.firstStart === undefined) {
        q.request.firstStart = start;
        this.hooks.queued?.((start - q.request.enqueuedAt) / 1000);
      }
    }
    let outputs: R[] | undefined;
    let failure: unknown;
    try {
      outputs = await this.run(batch.map((q) => q.item));
      if (outputs.length !== batch.length) {
        throw new Error(`batch runner returned ${outputs.length} results for ${batch.length} items`);
      }
    } catch (error) {
      failure = error;
    }
    const end = this.clock();
    const lengths = batch.map((q) => q.length);
    this.hooks.batchRun?.({
      size: batch.length,
      tokens: lengths.reduce((a, b) => a + b, 0),
      paddedTokens: batch.length * Math.max(...lengths),
      seconds: (end - start) / 1000,
    });

    batch.forEach((q, i) => {
      const request = q.request;
      if (request.settled) return;
      request.lastEnd = end;
      if (failure !== undefined) {
        // Only the requests in this batch see its error.
        this.queue = this.queue.filter((other) => other.request !== request);
        this.settle(request, failure);
        return;
      }
      request.results[q.index] = outputs![i];
      request.remaining--;
      if (request.remaining === 0) this.settle(request);
    });

    this.running = false;
    this.notifyIfIdle();
    this.schedule();
  }

  private settle(request: PendingRequest<R>, error?: unknown): void {
    if (request.settled) return;
    request.settled = true;
    request.detachAbort?.();
    if (error !== undefined) {
      request.reject(error);
      return;
    }
    const firstStart = request.firstStart ?? request.enqueuedAt;
    request.resolve({
      results: request.results,
      queueMs: firstStart - request.enqueuedAt,
      inferenceMs: (request.lastEnd ?? firstStart) - firstStart,
    });
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
