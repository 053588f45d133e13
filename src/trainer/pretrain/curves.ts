import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/** One JSON object per line (`learning-curve.jsonl`, `validation-curve.jsonl`). */
export function appendCurve(file: string, entry: object): void {
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** Curve lines kept on resume: those of steps the checkpoint already covers. */
export function truncateCurve(file: string, upToStep: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && (JSON.parse(line) as { step: number }).step <= upToStep);
  writeFileSync(file, kept.length ? `${kept.join('\n')}\n` : '');
}

/** The entries of a curve file, in order. */
export function readCurve<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
