/** The shipped default task models' directory names under `models/`, one per task. */
export const DEFAULT_MODEL_NAMES = {
  sentiment: 'berth-mini-sentiment',
  nli: 'berth-mini-nli',
  ner: 'berth-mini-ner',
  qa: 'berth-mini-qa',
} as const;
