import { gradeShares, loadConfig } from '../../shared/app/config';

describe('GRADE_SHARES', () => {
  it('defaults to 5,15,30 and reads other shares', () => {
    expect(gradeShares(loadConfig({}))).toEqual([5, 15, 30]);
    expect(gradeShares(loadConfig({ GRADE_SHARES: '10, 20, 30' }))).toEqual([10, 20, 30]);
  });

  it.each([
    ['5,15', /^invalid configuration: GRADE_SHARES: the shares must be three percentages for A, B and C separated by commas .*got "5,15"$/],
    ['5,-1,30', /GRADE_SHARES: the shares must each be a number above 0; B's is -1/],
    ['40,40,20', /GRADE_SHARES: the shares must add up to less than 100 so that D keeps some rows, got 40 \+ 40 \+ 20 = 100/],
  ])('refuses %s with an error naming the setting', (value, message) => {
    expect(() => loadConfig({ GRADE_SHARES: value })).toThrow(message);
  });
});
