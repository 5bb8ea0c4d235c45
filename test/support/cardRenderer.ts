/**
 * Renders Adaptive Cards the way Teams does, for people to look at: Microsoft's `adaptivecards`
 * renderer with the Microsoft Teams host config (light or dark, from adaptivecards-designer's
 * hostConfigs, MIT licence, copied into ./hostConfigs), in Debian's Chromium driven by playwright-core,
 * at a chosen width (360 px: a phone; 450 px: the desktop chat column). No browser is downloaded.
 *
 * Fonts: Teams uses Segoe UI, which Debian does not ship; the fallback (DejaVu Sans) is wider, so a
 * title that fits here fits in Teams.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export type Theme = 'light' | 'dark';

export interface CardRenderer {
  /** A PNG of the card alone, `width` CSS pixels wide. */
  render(card: object, opts: { width: number; theme?: Theme }): Promise<Buffer>;
  /** The rendered card's height in CSS pixels. */
  height(card: object, opts: { width: number; theme?: Theme }): Promise<number>;
  /** Text of the elements whose content is wider than they are (cut off or scrolled sideways). */
  overflowing(card: object, opts: { width: number; theme?: Theme }): Promise<string[]>;
  close(): Promise<void>;
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const root = path.resolve(__dirname, '../..');
const css = (theme: Theme): string => readFileSync(path.join(__dirname, 'hostConfigs', `teams-container-${theme}.css`), 'utf8');
const hostConfig = (theme: Theme): unknown => JSON.parse(readFileSync(path.join(__dirname, 'hostConfigs', `microsoft-teams-${theme}.json`), 'utf8'));
const BACKGROUND: Record<Theme, string> = { light: '#ffffff', dark: '#292929' };

const DRAW_IN_PAGE = `({ card, config, width, background }) => {
  const host = document.getElementById('host');
  host.innerHTML = '';
  host.style.width = width + 'px';
  host.style.background = background;
  const adaptive = new AdaptiveCards.AdaptiveCard();
  adaptive.hostConfig = new AdaptiveCards.HostConfig(config);
  adaptive.parse(card);
  const element = adaptive.render();
  if (!element) return 'the card did not render';
  host.appendChild(element);
  return undefined;
}`;

export async function openCardRenderer(): Promise<CardRenderer> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const page: Page = await browser.newPage({ deviceScaleFactor: 2 });
  let theme: Theme | undefined;
  const load = async (t: Theme): Promise<void> => {
    if (theme === t) return;
    await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>${css(t)}
      body { margin: 0; font-family: 'Segoe UI', 'DejaVu Sans', sans-serif; }
      #host { box-sizing: border-box; }
      .ac-textBlock ul, .ac-textBlock ol { padding-left: 20px; margin: 4px 0; box-sizing: border-box; width: 100%; }
    </style></head><body><div id="host" class="teams-card"></div></body></html>`);
    // Teams renders TextBlock markdown; the renderer uses markdown-it when the page has it.
    await page.addScriptTag({ content: readFileSync(path.join(root, 'node_modules/markdown-it/dist/browser/markdown-it.umd.min.js'), 'utf8') });
    await page.addScriptTag({ content: readFileSync(path.join(root, 'node_modules/adaptivecards/dist/adaptivecards.min.js'), 'utf8') });
    theme = t;
  };

  const draw = async (card: object, width: number, t: Theme): Promise<void> => {
    await load(t);
    await page.setViewportSize({ width, height: 800 });
    // Browser-side code as text: the project compiles without DOM types, which must not leak into Node code.
    const error = await page.evaluate<string | undefined>(`(${DRAW_IN_PAGE})(${JSON.stringify({ card, config: hostConfig(t), width, background: BACKGROUND[t] })})`);
    if (error) throw new Error(error);
  };

  return {
    async render(card, { width, theme = 'light' }) {
      await draw(card, width, theme);
      return page.locator('#host').screenshot();
    },
    async height(card, { width, theme = 'light' }) {
      await draw(card, width, theme);
      return page.evaluate<number>("document.getElementById('host').getBoundingClientRect().height");
    },
    async overflowing(card, { width, theme = 'light' }) {
      await draw(card, width, theme);
      return page.evaluate<string[]>(`[...document.querySelectorAll('#host *')]
        .filter((e) => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
        .map((e) => (e.textContent || '').trim().slice(0, 60))`);
    },
    close: () => browser.close(),
  };
}
