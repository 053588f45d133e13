import { pairTerms, textTerms, TfidfLogisticClassifier } from './tfidf-classifier';

describe('textTerms / pairTerms', () => {
  it('makes word uni+bigrams of a text', () => {
    expect(textTerms('A great, GREAT film')).toEqual(['great', 'great', 'film', 'great great', 'great film']);
  });

  it('keeps premise and hypothesis terms apart and marks hypothesis words missing from the premise', () => {
    expect(pairTerms('Two dogs run', 'dogs sleep')).toEqual([
      'p:two',
      'p:dogs',
      'p:run',
      'p:two dogs',
      'p:dogs run',
      'h:dogs',
      'h:sleep',
      'h:dogs sleep',
      'new:sleep',
    ]);
  });
});

describe('TfidfLogisticClassifier', () => {
  it('learns a separable toy task and names classes by their labels', () => {
    const texts = ['good fun', 'really good', 'good film', 'bad plot', 'really bad', 'bad film'];
    const labels = ['pos', 'pos', 'pos', 'neg', 'neg', 'neg'];
    const classifier = new TfidfLogisticClassifier().fit(texts.map(textTerms), labels);
    expect(classifier.labels).toEqual(['neg', 'pos']);
    expect(classifier.predict(['good', 'bad', 'so good', 'so bad'].map(textTerms))).toEqual(['pos', 'neg', 'pos', 'neg']);
  });

  it('gives the same model twice (full-batch L-BFGS from zeros)', () => {
    const texts = ['a cat sat', 'the dog ran', 'cats sat down', 'dogs ran off'];
    const labels = ['c', 'd', 'c', 'd'];
    const a = new TfidfLogisticClassifier().fit(texts.map(textTerms), labels);
    const b = new TfidfLogisticClassifier().fit(texts.map(textTerms), labels);
    expect(Array.from(a.model.weights)).toEqual(Array.from(b.model.weights));
  });
});
