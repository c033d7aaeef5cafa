/**
 * The command registry: one module per command. To add one (e.g. `export`), write
 * src/cli/commands/<name>.ts exporting a Command (see ../command.ts) and add it to this list.
 */
import type { Command } from '../command';
import { analyze } from './analyze';
import { evalCommand } from './eval';
import { exportCommand } from './export';
import { plan } from './plan';
import { tasksCommand } from './tasks';

export const COMMANDS: readonly Command[] = [analyze, evalCommand, plan, exportCommand, tasksCommand];
