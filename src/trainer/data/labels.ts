import { DatasetError } from './errors';

export interface LabelMap {
  label2id: Record<string, number>;
  id2label: string[];
}

const INTEGER = /^(?:0|[1-9]\d*)$/;

/**
 * The label map of a new model, from its training labels: the distinct names sorted (numerically
 * when every name is an integer, so "2" < "10"), ids in that order, as AutoTrain builds it.
 */
export function buildLabelMap(names: Iterable<string>): LabelMap {
  const distinct = [...new Set(names)];
  const numeric = distinct.every((n) => INTEGER.test(n));
  const id2label = distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const label2id = Object.create(null) as Record<string, number>;
  id2label.forEach((name, id) => (label2id[name] = id));
  return { label2id, id2label };
}

/** Turns a config's id2label ({"0": "negative", ...}) into its inverse map, checking it is dense. */
export function labelMapFromId2Label(id2label: Readonly<Record<string, string>>): LabelMap {
  const ids = Object.keys(id2label).map(Number).sort((a, b) => a - b);
  const names = ids.map((id, i) => {
    if (id !== i) throw new RangeError(`id2label must number its labels 0..${ids.length - 1}; found id ${id}`);
    return id2label[String(id)];
  });
  const label2id = Object.create(null) as Record<string, number>;
  names.forEach((name, id) => (label2id[name] = id));
  return { label2id, id2label: names };
}

/** A labelled row, for error messages. */
export interface LabelledRow {
  label: string;
  line?: number;
}

/**
 * Maps label names to ids and fails before training on any label the model does not have.
 *
 * Names are looked up in label2id. One exception keeps GLUE-style files usable with a model whose
 * labels have names: when no name of the dataset is in label2id but every one is an integer
 * below the number of labels (SST-2's "0"/"1" against negative/positive), the integers are read as
 * ids. A dataset that mixes both spellings is an error, never a guess.
 */
export function resolveLabelIds(rows: readonly LabelledRow[], label2id: Readonly<Record<string, number>>, file: string, field = 'label'): number[] {
  const known = (name: string): boolean => Object.prototype.hasOwnProperty.call(label2id, name);
  const numLabels = Object.keys(label2id).length;
  const anyNamed = rows.some((r) => known(r.label));
  const allIds = !anyNamed && rows.every((r) => INTEGER.test(r.label) && Number(r.label) < numLabels);
  if (allIds) return rows.map((r) => Number(r.label));
  return rows.map((r) => {
    if (!known(r.label)) {
      throw new DatasetError(
        file,
        `unknown label "${r.label}"; the model's labels are ${Object.keys(label2id).map((l) => `"${l}"`).join(', ')}`,
        r.line,
        field,
      );
    }
    return label2id[r.label];
  });
}
