import { holdOut } from './task-data';

describe('holdOut', () => {
  it('splits 10% off, disjoint and complete, the same for the same seed', () => {
    const a = holdOut(100, 0.1, 42);
    expect(a.validation).toHaveLength(10);
    expect(a.train).toHaveLength(90);
    expect(new Set([...a.train, ...a.validation]).size).toBe(100);
    expect(holdOut(100, 0.1, 42)).toEqual(a);
    expect(holdOut(100, 0.1, 43).validation).not.toEqual(a.validation);
  });

  it('keeps at least one row on each side', () => {
    expect(holdOut(4, 0.1, 0).validation).toHaveLength(1);
    expect(holdOut(2, 0.9, 0).train).toHaveLength(1);
    expect(() => holdOut(1, 0.1, 0)).toThrow(/at least 2 rows/);
  });
});
