import { Command } from '../command';
import { exportCommand } from './export';
import { makeTinyCommand } from './make-tiny';
import { trainCommand } from './train';

/** Every `berth` subcommand. Adding one: write `commands/<name>.ts`, list it here. */
export const COMMANDS: readonly Command[] = [exportCommand, makeTinyCommand, trainCommand];
