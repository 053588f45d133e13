import { Command } from '../command';
import { dbCommand } from './db';
import { evaluateCommand } from './evaluate';
import { exportCommand } from './export';
import { filesCommand } from './files';
import { initModelCommand } from './init-model';
import { jobsCommand } from './jobs';
import { makeTinyCommand } from './make-tiny';
import { newHeadCommand } from './new-head';
import { pretrainCommand } from './pretrain';
import { quantizeCommand } from './quantize';
import { trainCommand } from './train';

/** Every `berth` subcommand. Adding one: write `commands/<name>.ts`, list it here. */
export const COMMANDS: readonly Command[] = [
  exportCommand,
  quantizeCommand,
  makeTinyCommand,
  trainCommand,
  evaluateCommand,
  initModelCommand,
  pretrainCommand,
  newHeadCommand,
  filesCommand,
  jobsCommand,
  dbCommand,
];
