/**
 * Draws the two Teams app icons: two overlapping rings, the two parties of a restorative meeting,
 * with the space they share filled in. The PNGs are committed, so packaging never depends on this;
 * rerun it only to change the artwork:  npx tsx scripts/makeIcons.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { APP_PACKAGE_DIR } from './package';

type Rgb = readonly [number, number, number];

/** 8-bit RGBA PNG (pngjs). */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  if (rgba.length !== width * height * 4) {
    throw new Error(`encodePng: expected ${width * height * 4} RGBA bytes for ${width}×${height}, got ${rgba.length}`);
  }
  const png = new PNG({ width, height });
  rgba.copy(png.data);
  return PNG.sync.write(png, { colorType: 6, deflateLevel: 9 });
}

interface Glyph {
  /** Centres of the two rings, the ring radius (to the middle of the stroke) and stroke width. */
  left: readonly [number, number];
  right: readonly [number, number];
  radius: number;
  stroke: number;
}

type Part = 'ring' | 'shared' | 'none';

function partAt(g: Glyph, x: number, y: number): Part {
  const d1 = Math.hypot(x - g.left[0], y - g.left[1]);
  const d2 = Math.hypot(x - g.right[0], y - g.right[1]);
  const half = g.stroke / 2;
  if (Math.abs(d1 - g.radius) <= half || Math.abs(d2 - g.radius) <= half) return 'ring';
  if (d1 < g.radius && d2 < g.radius) return 'shared';
  return 'none';
}

// 4×4 supersampling gives smooth edges without a rasteriser dependency.
const SS = 4;

/** Renders the glyph, averaging colour and alpha over subsamples; `paint` maps a part to RGBA. */
function render(size: number, g: Glyph, paint: (p: Part) => readonly [number, number, number, number]): Buffer {
  const out = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, gr = 0, b = 0, a = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const [pr, pg, pb, pa] = paint(partAt(g, x + (sx + 0.5) / SS, y + (sy + 0.5) / SS));
          // Premultiplied so transparent samples do not darken edge colours.
          r += pr * pa; gr += pg * pa; b += pb * pa; a += pa;
        }
      }
      const i = (y * size + x) * 4;
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(gr / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
      out[i + 3] = Math.round(a / (SS * SS));
    }
  }
  return out;
}

const ACCENT: Rgb = [0x1f, 0x6f, 0x68]; // matches accentColor in manifest.template.json
const WARM: Rgb = [0xf2, 0xb8, 0x4b];
const WHITE: Rgb = [255, 255, 255];

export function colorIcon(): Buffer {
  const g: Glyph = { left: [72, 96], right: [120, 96], radius: 44, stroke: 11 };
  return encodePng(192, 192, render(192, g, (p) => {
    const c = p === 'ring' ? WHITE : p === 'shared' ? WARM : ACCENT;
    return [c[0], c[1], c[2], 255];
  }));
}

export function outlineIcon(): Buffer {
  const g: Glyph = { left: [12, 16], right: [20, 16], radius: 8.5, stroke: 2.2 };
  // The shared part is half-transparent white: Teams tints the outline, so only alpha can shade it.
  return encodePng(32, 32, render(32, g, (p) => [255, 255, 255, p === 'ring' ? 255 : p === 'shared' ? 110 : 0]));
}

if (require.main === module) {
  for (const [name, png] of [['color.png', colorIcon()], ['outline.png', outlineIcon()]] as const) {
    const file = path.join(APP_PACKAGE_DIR, name);
    writeFileSync(file, png);
    console.log(`Wrote ${path.relative(process.cwd(), file)} (${png.length} bytes)`);
  }
}
