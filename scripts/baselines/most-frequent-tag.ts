/**
 * The simplest sequence-labelling baseline: tag each word with the tag it carries most often in
 * the training data, matching the word exactly (case kept, as CoNLL words are cased). Words never
 * seen in training get "O". Ties go to the tag that is more frequent over the whole training set,
 * then to the smaller tag text, so the result does not depend on the order of the data.
 */

export const OUTSIDE_TAG = 'O';

export class MostFrequentTagTagger {
  private readonly bestTag = new Map<string, string>();

  get knownWords(): number {
    return this.bestTag.size;
  }

  fit(sentences: ReadonlyArray<{ tokens: readonly string[]; tags: readonly string[] }>): this {
    const perWord = new Map<string, Map<string, number>>();
    const overall = new Map<string, number>();
    sentences.forEach(({ tokens, tags }, s) => {
      if (tokens.length !== tags.length) throw new RangeError(`sentence ${s}: ${tokens.length} tokens but ${tags.length} tags`);
      tokens.forEach((word, i) => {
        const tag = tags[i];
        let counts = perWord.get(word);
        if (!counts) perWord.set(word, (counts = new Map()));
        counts.set(tag, (counts.get(tag) ?? 0) + 1);
        overall.set(tag, (overall.get(tag) ?? 0) + 1);
      });
    });
    this.bestTag.clear();
    for (const [word, counts] of perWord) {
      let best: [string, number] | undefined;
      for (const [tag, n] of counts) {
        if (
          !best ||
          n > best[1] ||
          (n === best[1] && (overall.get(tag)! > overall.get(best[0])! || (overall.get(tag) === overall.get(best[0]) && tag < best[0])))
        ) {
          best = [tag, n];
        }
      }
      this.bestTag.set(word, best![0]);
    }
    return this;
  }

  tagOf(word: string): string {
    return this.bestTag.get(word) ?? OUTSIDE_TAG;
  }

  predict(tokens: readonly string[]): string[] {
    return tokens.map((word) => this.tagOf(word));
  }
}
