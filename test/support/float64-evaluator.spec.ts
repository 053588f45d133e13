import { erf64 } from './float64-evaluator';

describe('float64 reference evaluator', () => {
  it('erf64 matches known values', () => {
    // Values from Abramowitz & Stegun table 7.1 / high-precision tables.
    expect(erf64(0)).toBe(0);
    expect(erf64(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf64(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf64(-2)).toBeCloseTo(-0.9953222650189527, 14);
    expect(erf64(3)).toBeCloseTo(0.9999779095030014, 14);
  });
});
