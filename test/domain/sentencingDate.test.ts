import { parseSentencingDateReply } from '../../src/domain/sentencingDate';

describe('a typed answer to "Do you know the sentencing date?"', () => {
  test.each([
    'no', 'No', 'no thanks', 'No thanks!', 'no thank you', "don't know", 'don’t know', 'dont know', 'I don\'t know', 'not sure', 'nope', 'not yet',
  ])('"%s" is no', (text) => {
    expect(parseSentencingDateReply(text)).toEqual({ kind: 'no' });
  });

  test.each([
    ['14/03/2027', '2027-03-14'],
    ['14/3/2027', '2027-03-14'],
    ['4-3-2027', '2027-03-04'],
    ['14.03.2027', '2027-03-14'],
    ['2027-03-14', '2027-03-14'],
    ['14 March 2027', '2027-03-14'],
    ['14 march 2027', '2027-03-14'],
    ['14th March 2027', '2027-03-14'],
    ['14 Mar 2027', '2027-03-14'],
    ['Sunday 14 March 2027', '2027-03-14'],
    ['March 14, 2027', '2027-03-14'],
    ['  14/03/2027. ', '2027-03-14'],
    ['29/02/2028', '2028-02-29'],
    // The day the clocks go forward in London is still a day.
    ['28/03/2027', '2027-03-28'],
  ])('"%s" is %s', (text, date) => {
    expect(parseSentencingDateReply(text)).toEqual({ kind: 'date', date });
  });

  test.each(['31/02/2027', '29/02/2027', '32/01/2027', '14/13/2027', '00/03/2027', '2027-02-30', '31 April 2027', '31st June 2027'])(
    '"%s" is not a real date: refused, saying so, never rolled over',
    (text) => {
      const r = parseSentencingDateReply(text);
      expect(r.kind).toBe('invalid');
      if (r.kind === 'invalid') {
        expect(r.message).toContain(`${text.trim()} is not a real date`);
        expect(r.message).toContain('14/03/2027');
      }
    },
  );

  test.each(['yes', 'Yes', 'y'])('"%s" is yes (the date still has to be typed)', (text) => {
    expect(parseSentencingDateReply(text)).toEqual({ kind: 'yes' });
  });

  test.each(['purple', 'next week', '14/03/27', '14 Marchember 2027', '2027', 'refer', '', '14/03/2027 or later'])('"%s" is not understood', (text) => {
    expect(parseSentencingDateReply(text)).toEqual({ kind: 'unknown' });
  });
});
