import { openCardRenderer, type CardRenderer } from '../support/cardRenderer';
import { welcomeCard } from '../../cards/welcome';
import { card } from '../../cards/adaptive';

let renderer: CardRenderer;
beforeAll(async () => {
  renderer = await openCardRenderer();
}, 30_000);
afterAll(async () => {
  await renderer?.close();
});

test('renders a card as Teams does, to a PNG, at a phone\'s width and the desktop chat\'s', async () => {
  for (const width of [360, 450]) {
    const png = await renderer.render(welcomeCard(), { width });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(width * 2); // device scale factor 2
  }
  expect(await renderer.height(welcomeCard(), { width: 360 })).toBeGreaterThan(await renderer.height(welcomeCard(), { width: 450 }) - 1);
});

test('finds what does not fit: the welcome card fits a phone, an unbreakable line does not', async () => {
  expect(await renderer.overflowing(welcomeCard(), { width: 360 })).toEqual([]);
  const wide = card([{ type: 'TextBlock', text: 'RJ-2026-0001'.repeat(12), wrap: false }]);
  expect((await renderer.overflowing(wide, { width: 360 })).length).toBeGreaterThan(0);
});
