/**
 * Text contrast of an Adaptive Card as Teams would draw it: every TextBlock, TextRun and FactSet
 * text, in the colour the host config gives it (colour × subtle × the style of the container it
 * sits in), against that container's background. WCAG 2.x relative luminance and contrast ratio.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type Theme = 'light' | 'dark';

/** WCAG AA for normal-size text. */
export const AA_NORMAL_TEXT = 4.5;

interface ForegroundColor { default: string; subtle: string }
interface ContainerStyle { backgroundColor: string; foregroundColors: Record<string, ForegroundColor> }
export interface HostColours {
  containerStyles: Record<string, ContainerStyle>;
  actions?: { showCard?: { style?: string } };
  factSet?: { title?: { color?: string; isSubtle?: boolean }; value?: { color?: string; isSubtle?: boolean } };
  textStyles?: { heading?: { color?: string; isSubtle?: boolean } };
}

/** The Teams page behind the card (test/support/cardRenderer.ts draws on the same). */
const PAGE: Record<Theme, string> = { light: '#ffffff', dark: '#292929' };

export function teamsHostConfig(theme: Theme): HostColours {
  return JSON.parse(readFileSync(path.join(__dirname, 'hostConfigs', `microsoft-teams-${theme}.json`), 'utf8')) as HostColours;
}

type Rgb = [number, number, number];

/** "#RRGGBB" or Adaptive Cards' "#AARRGGBB" (alpha first), composited over `under`. */
export function parseColour(hex: string, under: Rgb = [255, 255, 255]): Rgb {
  const h = hex.replace(/^#/, '');
  if (!/^([0-9a-f]{6}|[0-9a-f]{8})$/i.test(h)) throw new Error(`not a colour: ${hex}`);
  const alpha = h.length === 8 ? parseInt(h.slice(0, 2), 16) / 255 : 1;
  const rgb = h.slice(h.length - 6);
  const channel = (i: number) => parseInt(rgb.slice(i * 2, i * 2 + 2), 16);
  return [0, 1, 2].map((i) => alpha * channel(i) + (1 - alpha) * under[i]!) as Rgb;
}

export function relativeLuminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

export interface TextContrast {
  text: string;
  color: string;
  subtle: boolean;
  containerStyle: string;
  ratio: number;
}

/** Every piece of text in the card with its contrast against the background it is drawn on. */
export function textContrasts(card: unknown, theme: Theme, host: HostColours = teamsHostConfig(theme)): TextContrast[] {
  const out: TextContrast[] = [];
  const page = parseColour(PAGE[theme]);
  const measure = (text: string, color: string | undefined, subtle: boolean | undefined, style: string) => {
    const s = host.containerStyles[style] ?? host.containerStyles.default!;
    const background = parseColour(s.backgroundColor, page);
    const key = (color ?? 'default').toLowerCase();
    const fg = s.foregroundColors[key];
    if (!fg) throw new Error(`host config has no "${key}" text colour`);
    const ratio = contrastRatio(parseColour(subtle ? fg.subtle : fg.default, background), background);
    out.push({ text: text.slice(0, 60), color: key, subtle: Boolean(subtle), containerStyle: style, ratio: Math.round(ratio * 100) / 100 });
  };
  const walk = (node: unknown, style: string): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, style);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    const own = typeof o.style === 'string' && ['Container', 'Column', 'ColumnSet', 'TableCell'].includes(String(o.type)) ? o.style : undefined;
    const here = own && host.containerStyles[own] ? own : style;
    switch (o.type) {
      case 'TextBlock': {
        const heading = o.style === 'heading' ? host.textStyles?.heading : undefined;
        measure(String(o.text ?? ''), (o.color as string | undefined) ?? heading?.color, (o.isSubtle as boolean | undefined) ?? heading?.isSubtle, here);
        return;
      }
      case 'TextRun':
        measure(String(o.text ?? ''), o.color as string | undefined, o.isSubtle as boolean | undefined, here);
        return;
      case 'FactSet':
        for (const f of (o.facts as { title: string; value: string }[] | undefined) ?? []) {
          measure(f.title, host.factSet?.title?.color, host.factSet?.title?.isSubtle, here);
          measure(f.value, host.factSet?.value?.color, host.factSet?.value?.isSubtle, here);
        }
        return;
      case 'Action.ShowCard':
        walk(o.card, host.actions?.showCard?.style ?? 'emphasis');
        return;
    }
    // A button's data is the bot's payload, and a fallback is never drawn alongside its element.
    for (const [k, v] of Object.entries(o)) if (k !== 'data' && k !== 'fallback') walk(v, here);
  };
  walk(card, 'default');
  return out;
}
