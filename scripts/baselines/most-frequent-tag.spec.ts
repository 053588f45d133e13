import { entityScores } from '../../src/trainer/evaluation';
import { MostFrequentTagTagger } from './most-frequent-tag';

describe('MostFrequentTagTagger', () => {
  const train = [
    { tokens: ['John', 'lives', 'in', 'Paris', '.'], tags: ['B-PER', 'O', 'O', 'B-LOC', 'O'] },
    { tokens: ['Paris', 'Hilton', 'smiled', '.'], tags: ['B-PER', 'I-PER', 'O', 'O'] },
    { tokens: ['Paris', 'is', 'big', '.'], tags: ['B-LOC', 'O', 'O', 'O'] },
    { tokens: ['Jordan', 'visited', 'Jordan', '.'], tags: ['B-PER', 'O', 'B-LOC', 'O'] },
  ];
  const tagger = new MostFrequentTagTagger().fit(train);

  it('tags each known word with its most frequent training tag', () => {
    expect(tagger.tagOf('Paris')).toBe('B-LOC'); // B-LOC twice, B-PER once
    expect(tagger.tagOf('Hilton')).toBe('I-PER');
    expect(tagger.tagOf('.')).toBe('O');
    expect(tagger.knownWords).toBe(11);
  });

  it('breaks a tie by the tag more frequent overall (B-LOC: 3, B-PER: 3 → then by text)', () => {
    // Jordan: B-PER 1, B-LOC 1. Overall B-LOC 3, B-PER 3, so the smaller text wins: B-LOC.
    expect(tagger.tagOf('Jordan')).toBe('B-LOC');
    const skewed = new MostFrequentTagTagger().fit([...train, { tokens: ['Ann'], tags: ['B-PER'] }]);
    expect(skewed.tagOf('Jordan')).toBe('B-PER');
  });

  it('is case-sensitive and tags unknown words O', () => {
    expect(tagger.predict(['paris', 'Berlin', 'John'])).toEqual(['O', 'O', 'B-PER']);
  });

  it('scores with conlleval counting (hand count: 2 of 4 predicted entities right, 2 of 4 gold)', () => {
    const dev = [
      { tokens: ['John', 'left', 'Paris', '.'], tags: ['B-PER', 'O', 'B-LOC', 'O'] },
      { tokens: ['Paris', 'Hilton', 'met', 'Mary', '.'], tags: ['B-PER', 'I-PER', 'O', 'B-PER', 'O'] },
    ];
    const predicted = dev.map((s) => tagger.predict(s.tokens));
    // Predicted: [B-PER O B-LOC O] and [B-LOC I-PER O O O]: entities PER(0), LOC(2); LOC(0), PER(1).
    expect(predicted).toEqual([
      ['B-PER', 'O', 'B-LOC', 'O'],
      ['B-LOC', 'I-PER', 'O', 'O', 'O'],
    ]);
    const scores = entityScores(
      dev.map((s) => s.tags),
      predicted,
    );
    expect(scores.correct).toBe(2);
    expect(scores.predicted).toBe(4);
    expect(scores.precision).toBeCloseTo(2 / 4, 12);
    expect(scores.recall).toBeCloseTo(2 / 4, 12);
  });
});
