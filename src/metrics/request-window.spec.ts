import { RequestWindow } from './request-window';

describe('RequestWindow', () => {
  it('reports the rate and the nearest-rank p95 of the requests inside the window', () => {
    let now = 1_000_000;
    const window = new RequestWindow(60, 4096, () => now);
    // 100 requests of 1..100 ms, shuffled; the reference p95 is the 95th smallest: 95 ms.
    const durations = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    for (const ms of durations) window.record('m', ms / 1000, ms > 98);
    const sorted = [...durations].sort((a, b) => a - b);
    expect(window.summary()).toEqual([
      { model: 'm', requests: 100, errors: 2, requests_per_second: 100 / 60, p95_seconds: sorted[Math.ceil(0.95 * 100) - 1] / 1000 },
    ]);
    // A minute and a bit later only the newer request counts.
    now += 61_000;
    window.record('m', 0.5, false);
    expect(window.summary()[0]).toMatchObject({ requests: 1, errors: 0, p95_seconds: 0.5 });
    now += 61_000;
    expect(window.summary()[0]).toMatchObject({ requests: 0, requests_per_second: 0, p95_seconds: null });
  });

  it('keeps at most `capacity` requests per model, the newest', () => {
    const window = new RequestWindow(60, 3, () => 0);
    for (const s of [9, 9, 1, 2, 3]) window.record('a', s, false);
    window.record('b', 4, false);
    expect(window.summary().map((m) => [m.model, m.requests, m.p95_seconds])).toEqual([
      ['a', 3, 3],
      ['b', 1, 4],
    ]);
  });
});
