/**
 * The trainer's random streams (shuffling, masking, dropout seeds) come from the engine's one
 * generator: xoshiro128** seeded by SplitMix64, `new Rng(seed)`.
 */
export { Rng } from '../engine/random';
