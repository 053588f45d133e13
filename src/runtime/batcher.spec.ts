import { ClientClosedError, OverloadedError } from '../errors/domain-error';
import { BatchingOptions, BatchStats, DynamicBatcher } from './batcher';

/** An item is its own length; the fake model answers each item with `item * 10`. */
class GatedModel {
  batches: number[][] = [];
  private gates: Array<() => void> = [];
  failWhen: (items: number[]) => boolean = () => false;

  run = async (items: number[]): Promise<number[]> => {
    this.batches.push([...items]);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.failWhen(items)) throw new Error(`batch ${items.join(',')} failed`);
    return items.map((x) => x * 10);
  };

  /** Let the batch now running finish, then let the batcher schedule the next one. */
  async release(): Promise<void> {
    const gate = this.gates.shift();
    if (!gate) throw new Error('no batch is running');
    gate();
    await flush();
  }

  get waiting(): number {
    return this.gates.length;
  }
}

/** Let pending callbacks run: promise jobs and the batcher's next-turn start (setImmediate). */
async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const base: BatchingOptions = { maxBatchSize: 8, maxBatchTokens: 1000, maxWaitMs: 0, maxQueue: 100, enabled: true };

function make(model: GatedModel, options: Partial<BatchingOptions> = {}, stats: BatchStats[] = []) {
  return new DynamicBatcher<number, number>({ ...base, ...options }, model.run, (x) => x, {
    batchRun: (s) => stats.push(s),
  });
}

describe('DynamicBatcher', () => {
  it('bounds a batch by its size and scatters results to each caller', async () => {
    const model = new GatedModel();
    const batcher = make(model, { maxBatchSize: 2 });
    const first = batcher.submit([5]); // runs alone: nothing else is queued
    await flush();
    const rest = [1, 2, 3, 4].map((x) => batcher.submit([x]));
    await model.release();
    await model.release();
    await model.release();
    expect(model.batches).toEqual([[5], [1, 2], [3, 4]]);
    expect((await first).results).toEqual([50]);
    expect(await Promise.all(rest.map((p) => p.then((r) => r.results[0])))).toEqual([10, 20, 30, 40]);
  });

  it('bounds a batch by padded tokens (size × longest), and a lone long sequence still runs', async () => {
    const model = new GatedModel();
    const stats: BatchStats[] = [];
    const batcher = make(model, { maxBatchTokens: 10 }, stats);
    const blocker = batcher.submit([1]);
    await flush();
    const long = batcher.submit([12]);
    const shorts = batcher.submit([4, 2, 5]);
    await model.release(); // blocker done → [12] is oldest and alone over budget
    await model.release(); // → [4, 5] (2 × 5 = 10 ≤ 10; adding 2 would make 3 × 5 = 15)
    await model.release(); // → [2]
    await model.release();
    expect(model.batches).toEqual([[1], [12], [4, 5], [2]]);
    expect(stats[1]).toMatchObject({ size: 1, tokens: 12, paddedTokens: 12 });
    expect(stats[2]).toMatchObject({ size: 2, tokens: 9, paddedTokens: 10 });
    expect((await shorts).results).toEqual([40, 20, 50]);
    await Promise.all([blocker, long]);
  });

  it('groups sequences of similar length, oldest first', async () => {
    const model = new GatedModel();
    const batcher = make(model, { maxBatchSize: 2 });
    const blocker = batcher.submit([50]);
    await flush();
    const all = [10, 2, 9, 3, 1].map((x) => batcher.submit([x]));
    for (let i = 0; i < 4; i++) await model.release();
    // 10 is oldest and goes with its nearest length 9; then 2 (oldest left) with 1; then 3.
    expect(model.batches).toEqual([[50], [9, 10], [1, 2], [3]]);
    await Promise.all([blocker, ...all]);
  });

  it('starts a request on an idle model at once: no timer, and same-turn arrivals share the batch', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const model = new GatedModel();
      const batcher = make(model);
      const a = batcher.submit([1]);
      const b = batcher.submit([2]);
      await flush(); // no timer advanced: only the next turn of the event loop passed
      expect(model.batches).toEqual([[1, 2]]);
      expect(jest.getTimerCount()).toBe(0);
      await model.release();
      expect((await a).results).toEqual([10]);
      expect((await b).results).toEqual([20]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('forms the next batch from what arrives while one runs, and starts it when that one ends', async () => {
    const model = new GatedModel();
    const batcher = make(model);
    const first = batcher.submit([7]);
    await flush();
    const during: Array<Promise<unknown>> = [];
    for (const x of [3, 4, 5]) {
      during.push(batcher.submit([x]));
      await flush(); // separate turns: nothing starts while the model is busy
      expect(model.batches).toEqual([[7]]);
    }
    await model.release();
    expect(model.batches).toEqual([[7], [3, 4, 5]]);
    await model.release();
    await Promise.all([first, ...during]);
    expect(batcher.isIdle()).toBe(true);
  });

  it('waits up to maxWaitMs for company, then runs what it has', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const model = new GatedModel();
      const batcher = new DynamicBatcher<number, number>(
        { ...base, maxBatchSize: 4, maxWaitMs: 50 },
        model.run,
        (x) => x,
        {},
        () => Date.now(),
      );
      const a = batcher.submit([1]);
      jest.advanceTimersByTime(20);
      const b = batcher.submit([2]);
      await flush();
      expect(model.batches).toEqual([]);
      jest.advanceTimersByTime(29);
      await flush();
      expect(model.batches).toEqual([]);
      jest.advanceTimersByTime(1);
      await flush();
      expect(model.batches).toEqual([[1, 2]]);
      await model.release();
      expect((await a).results).toEqual([10]);
      expect((await b).results).toEqual([20]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('runs a full batch without waiting', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const model = new GatedModel();
      const batcher = new DynamicBatcher<number, number>(
        { ...base, maxBatchSize: 2, maxWaitMs: 10_000 },
        model.run,
        (x) => x,
        {},
        () => Date.now(),
      );
      const p = batcher.submit([1, 2]);
      await flush();
      expect(model.batches).toEqual([[1, 2]]);
      await model.release();
      expect((await p).results).toEqual([10, 20]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses work past the admission limit with OverloadedError', async () => {
    const model = new GatedModel();
    const rejected: string[] = [];
    const batcher = new DynamicBatcher<number, number>({ ...base, maxQueue: 3 }, model.run, (x) => x, {
      rejected: (r) => rejected.push(r),
    });
    const running = batcher.submit([1]);
    await flush();
    const queued = batcher.submit([1, 1, 1]);
    await expect(batcher.submit([1])).rejects.toBeInstanceOf(OverloadedError);
    expect(rejected).toEqual(['overloaded']);
    await model.release();
    await model.release();
    await Promise.all([running, queued]);
  });

  it('drops an aborted request from the queue: it never runs and its caller gets ClientClosedError', async () => {
    const model = new GatedModel();
    const batcher = make(model, { maxBatchSize: 1 });
    const running = batcher.submit([1]);
    await flush();
    const controller = new AbortController();
    const gone = batcher.submit([7, 7], controller.signal);
    const kept = batcher.submit([2]);
    controller.abort();
    await expect(gone).rejects.toBeInstanceOf(ClientClosedError);
    await model.release();
    await model.release();
    expect(model.batches).toEqual([[1], [2]]);
    expect((await kept).results).toEqual([20]);
    await running;
    expect(batcher.isIdle()).toBe(true);
  });

  it('aborting a request whose first batch is running drops the rest of it', async () => {
    const model = new GatedModel();
    const batcher = make(model, { maxBatchSize: 1 });
    const controller = new AbortController();
    const split = batcher.submit([3, 4], controller.signal); // [3] runs, [4] waits
    await flush();
    controller.abort();
    await expect(split).rejects.toBeInstanceOf(ClientClosedError);
    await model.release();
    expect(model.batches).toEqual([[3]]);
    expect(batcher.isIdle()).toBe(true);
  });

  it('refuses an already-aborted signal without queueing', async () => {
    const model = new GatedModel();
    const batcher = make(model);
    const controller = new AbortController();
    controller.abort();
    await expect(batcher.submit([1], controller.signal)).rejects.toBeInstanceOf(ClientClosedError);
    expect(model.batches).toEqual([]);
  });

  it('sends a failed batch’s error to its callers only', async () => {
    const model = new GatedModel();
    model.failWhen = (items) => items.includes(66);
    const batcher = make(model, { maxBatchSize: 2 });
    const blocker = batcher.submit([1]);
    await flush();
    const bad = batcher.submit([66]);
    const neighbour = batcher.submit([65]);
    const later = batcher.submit([3]);
    const failures = [expect(bad).rejects.toThrow('batch 65,66 failed'), expect(neighbour).rejects.toThrow('batch 65,66 failed')];
    await model.release();
    await model.release(); // [65, 66] fails
    await model.release(); // [3]
    await Promise.all(failures);
    expect((await later).results).toEqual([30]);
    await blocker;
  });

  it('with batching disabled runs each request on its own', async () => {
    const model = new GatedModel();
    const batcher = make(model, { enabled: false });
    const a = batcher.submit([1]);
    await flush();
    const b = batcher.submit([2, 3]);
    const c = batcher.submit([4]);
    await model.release();
    await model.release();
    await model.release();
    expect(model.batches).toEqual([[1], [2, 3], [4]]);
    await Promise.all([a, b, c]);
  });

  it('drain resolves once queued and running work is done', async () => {
    const model = new GatedModel();
    const batcher = make(model, { maxBatchSize: 1 });
    const work = [batcher.submit([1]), batcher.submit([2])];
    let drained = false;
    const d = batcher.drain().then(() => (drained = true));
    await flush();
    expect(drained).toBe(false);
    await model.release();
    expect(drained).toBe(false);
    await model.release();
    await d;
    expect(drained).toBe(true);
    await Promise.all(work);
  });
});
