import type { Command } from 'commander';
import { configDescriptions, configTableMarkdown, settingText } from '../../shared/app/config';
import { currentSettings } from '../../shared/app/container';

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('Show every setting with its effective value (from the environment or its default)')
    .option('--markdown', "print the README's table of settings, defaults and meanings instead")
    .action((opts: { markdown?: boolean }) => {
      if (opts.markdown) {
        process.stdout.write(`${configTableMarkdown()}\n`);
        return;
      }
      const config = currentSettings() as Record<string, unknown>;
      const names = configDescriptions().map((d) => d.name);
      const width = Math.max(...names.map((n) => n.length));
      for (const name of names) {
        const secret = /CONNECTION_STRING/.test(name) && config[name] !== undefined;
        process.stdout.write(`${name.padEnd(width)}  ${secret ? '(set)' : config[name] === undefined ? '(unset)' : settingText(config[name])}\n`);
      }
    });
}
