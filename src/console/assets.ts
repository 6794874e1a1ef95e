// The console's stylesheet and script, read once at startup from the assets folder next to this
// module (`npm run build` copies it into dist/) and served with a content hash in the URL, so browsers
// cache them for good and a new release is fetched at once. Nothing is loaded from elsewhere.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

const DIR = new URL('./assets/', import.meta.url);
const FILES = {
  css: ['console.css', 'text/css; charset=utf-8'],
  js: ['console.js', 'text/javascript; charset=utf-8'],
} as const;

type Asset = { path: string; body: string; type: string };

const assets: Record<keyof typeof FILES, Asset> = Object.fromEntries(
  Object.entries(FILES).map(([key, [file, type]]) => {
    const body = readFileSync(new URL(file, DIR), 'utf8');
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    return [key, { path: `/console/assets/${hash}/${file}`, body, type }];
  }),
) as Record<keyof typeof FILES, Asset>;

export const ASSET_PATHS = { css: assets.css.path, js: assets.js.path };

export function createAssetRoutes(): Hono {
  const app = new Hono();
  for (const asset of Object.values(assets)) {
    app.get(asset.path, (c) => {
      c.header('Content-Type', asset.type);
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      c.header('X-Content-Type-Options', 'nosniff');
      return c.body(asset.body);
    });
  }
  return app;
}
