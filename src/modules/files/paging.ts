import { InvalidInputError } from '../../errors/domain-error';

/** The `limit` query parameter of a list route: an integer in [1, max], `fallback` when absent. */
export function pageLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new InvalidInputError(`limit must be an integer from 1 to ${max}, got "${raw}"`, { field: 'limit' });
  }
  return Number(raw);
}
