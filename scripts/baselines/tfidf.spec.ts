import { sparseRow } from './sparse';
import { TfidfVectorizer, wordNgrams, wordTokens } from './tfidf';

describe('wordTokens', () => {
  it("lowercases and keeps runs of two or more word characters, as scikit-learn's token_pattern", () => {
    expect(wordTokens("It's a GREAT film -- 10/10, n't bad_ending é")).toEqual(['it', 'great', 'film', '10', '10', 'bad_ending']);
    expect(wordTokens('Café Ünïcode')).toEqual(['café', 'ünïcode']);
  });
});

describe('wordNgrams', () => {
  it('lists unigrams, then bigrams', () => {
    expect(wordNgrams(['a', 'b', 'c'], 1, 2)).toEqual(['a', 'b', 'c', 'a b', 'b c']);
    expect(wordNgrams(['a'], 1, 2)).toEqual(['a']);
  });
});

describe('TfidfVectorizer', () => {
  const documents = [wordNgrams(wordTokens('good movie')), wordNgrams(wordTokens('bad movie'))];

  it('numbers terms in sorted order and uses the smoothed idf ln((1+n)/(1+df)) + 1', () => {
    const vectorizer = new TfidfVectorizer().fit(documents);
    expect(vectorizer.size).toBe(5);
    expect(['bad', 'bad movie', 'good', 'good movie', 'movie'].map((t) => vectorizer.columnOf(t))).toEqual([0, 1, 2, 3, 4]);
    // n = 2 documents: df 1 → ln(3/2) + 1; df 2 → ln(3/3) + 1.
    expect(vectorizer.idfOf('good')).toBeCloseTo(1.4054651081081644, 12);
    expect(vectorizer.idfOf('movie')).toBeCloseTo(1, 12);
  });

  it('gives unit-L2 rows (values worked out by hand from the formula)', () => {
    const x = new TfidfVectorizer().fitTransform(documents);
    const row = sparseRow(x, 0);
    expect([...row.keys()]).toEqual([2, 3, 4]);
    expect(row.get(2)).toBeCloseTo(0.6316672017376245, 12);
    expect(row.get(3)).toBeCloseTo(0.6316672017376245, 12);
    expect(row.get(4)).toBeCloseTo(0.4494364165239821, 12);
  });

  it('uses 1 + ln(tf) with sublinear tf, and ignores unseen terms', () => {
    const vectorizer = new TfidfVectorizer().fit(documents);
    // "good good movie": good tf 2 → (1 + ln 2)·idf; "good good" is not in the vocabulary.
    const row = sparseRow(vectorizer.transform([wordNgrams(wordTokens('good good movie'))]), 0);
    expect(row.get(2)).toBeCloseTo(0.8096650685123714, 12);
    expect(row.get(3)).toBeCloseTo(0.47820123247915447, 12);
    expect(row.get(4)).toBeCloseTo(0.34024411543225036, 12);
    expect(row.size).toBe(3);
  });

  it('uses raw counts without sublinear tf', () => {
    const vectorizer = new TfidfVectorizer({ sublinearTf: false }).fit(documents);
    const row = sparseRow(vectorizer.transform([['movie', 'movie', 'good']]), 0);
    // movie 2·1, good 1·idf → normalised.
    const idf = Math.log(1.5) + 1;
    const norm = Math.hypot(2, idf);
    expect(row.get(4)).toBeCloseTo(2 / norm, 12);
    expect(row.get(2)).toBeCloseTo(idf / norm, 12);
  });

  it('drops terms below minDf; a document with no known term is an empty row', () => {
    const vectorizer = new TfidfVectorizer({ minDf: 2 }).fit(documents);
    expect(vectorizer.size).toBe(1);
    expect(vectorizer.columnOf('movie')).toBe(0);
    const x = vectorizer.transform([['nothing'], ['movie']]);
    expect(sparseRow(x, 0).size).toBe(0);
    expect(sparseRow(x, 1).get(0)).toBeCloseTo(1, 12);
  });
});
