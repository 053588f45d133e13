import { DatasetError } from './errors';
import { buildLabelMap, labelMapFromId2Label, resolveLabelIds } from './labels';

describe('label maps', () => {
  it('builds a new model’s labels sorted, numerically when all are integers', () => {
    expect(buildLabelMap(['pos', 'neg', 'neu', 'pos']).id2label).toEqual(['neg', 'neu', 'pos']);
    const numeric = buildLabelMap(['10', '2', '1']);
    expect(numeric.id2label).toEqual(['1', '2', '10']);
    expect(numeric.label2id['10']).toBe(2);
  });

  it('reads a config id2label and checks it is dense', () => {
    expect(labelMapFromId2Label({ '1': 'neutral', '0': 'negative', '2': 'positive' })).toEqual({
      id2label: ['negative', 'neutral', 'positive'],
      label2id: Object.assign(Object.create(null), { negative: 0, neutral: 1, positive: 2 }),
    });
    expect(() => labelMapFromId2Label({ '0': 'a', '2': 'b' })).toThrow(RangeError);
  });

  const label2id = { negative: 0, positive: 1 };

  it('maps names, and GLUE integer labels as ids when no name matches', () => {
    expect(resolveLabelIds([{ label: 'positive' }, { label: 'negative' }], label2id, 'f')).toEqual([1, 0]);
    expect(resolveLabelIds([{ label: '1' }, { label: '0' }], label2id, 'f')).toEqual([1, 0]);
  });

  it('fails before training on an unknown label, naming file, line and the model’s labels', () => {
    const run = (): number[] => resolveLabelIds([{ label: 'positive', line: 2 }, { label: 'meh', line: 3 }], label2id, 'dev.csv', 'target');
    expect(run).toThrow(DatasetError);
    expect(run).toThrow('dev.csv: line 3, field "target": unknown label "meh"; the model\'s labels are "negative", "positive"');
    // Integers out of range, or mixed with names, are not guessed at.
    expect(() => resolveLabelIds([{ label: '2' }], label2id, 'f')).toThrow(DatasetError);
    expect(() => resolveLabelIds([{ label: 'positive' }, { label: '0' }], label2id, 'f')).toThrow(DatasetError);
  });
});
