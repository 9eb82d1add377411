import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { versionArg } from '../../cli/options';

/** Issue 12, item 6: `leadscore deploy <version>` and `rollback --to <version>` take what the routes take. */
describe('versionArg', () => {
  test.each(['0x2', '0b10', ' 3 ', '+1e0', '1.0', '01', '0', '-1', '1e3', '1234567890', '', 'abc', '1.5', '٣'])('%j is not a version number', (v) => {
    expect(() => versionArg(v)).toThrow(InvalidArgumentError);
    expect(() => versionArg(v)).toThrow(`'${v}' is not a version number`);
  });

  test.each([
    ['1', 1],
    ['42', 42],
    ['999999999', 999_999_999],
  ])('%s is version %i', (v, n) => {
    expect(versionArg(v)).toBe(n);
  });

  test('a command refuses a loose version before its action runs', () => {
    const ran: number[] = [];
    const program = new Command()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .argument('<version>', 'model version number', versionArg)
      .action((v: number) => void ran.push(v));
    expect(() => program.parse(['0x2'], { from: 'user' })).toThrow(CommanderError);
    program.parse(['7'], { from: 'user' });
    expect(ran).toEqual([7]);
  });
});
