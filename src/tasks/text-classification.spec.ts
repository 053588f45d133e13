import { defaultFunctionToApply, rankLabels } from './text-classification';

describe('text classification post-processing', () => {
  const labels = ['negative', 'neutral', 'positive'];
  const logits = [Math.log(1), Math.log(3), Math.log(6)]; // softmax → 0.1, 0.3, 0.6

  it('defaults like HF: none for regression, then sigmoid for one label or multi-label, softmax otherwise', () => {
    // HF checks problem_type "regression" first: a one-output regression head returns its raw value.
    expect(defaultFunctionToApply(1, 'regression')).toBe('none');
    expect(defaultFunctionToApply(3, 'regression')).toBe('none');
    expect(defaultFunctionToApply(1)).toBe('sigmoid');
    expect(defaultFunctionToApply(1, 'single_label_classification')).toBe('sigmoid');
    expect(defaultFunctionToApply(3, 'multi_label_classification')).toBe('sigmoid');
    expect(defaultFunctionToApply(3, 'single_label_classification')).toBe('softmax');
    expect(defaultFunctionToApply(3)).toBe('softmax');
  });

  it('softmax with top_k 1 gives the best label', () => {
    const [top] = rankLabels(logits, labels, 'softmax', 1);
    expect(top.label).toBe('positive');
    expect(top.score).toBeCloseTo(0.6, 12);
  });

  it('top_k null gives every label sorted; none gives the raw logits', () => {
    const all = rankLabels(logits, labels, 'none', null);
    expect(all.map((l) => l.label)).toEqual(['positive', 'neutral', 'negative']);
    expect(all.map((l) => l.score)).toEqual([Math.log(6), Math.log(3), 0]);
  });

  it('sigmoid scores each label on its own', () => {
    const all = rankLabels([0, Math.log(3)], ['a', 'b'], 'sigmoid', null);
    expect(all[0]).toEqual({ label: 'b', score: expect.closeTo(0.75, 12) });
    expect(all[1]).toEqual({ label: 'a', score: 0.5 });
  });
});
