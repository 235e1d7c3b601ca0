// Builds web/src into web/dist: static files with no run-time fetches, served by the service at /ui (and
// /admin, /demo) and uploaded to S3 as they are. Usage: node web/build.mjs
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const dist = join(here, 'dist');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

// Minified for shops' pages; the source maps keep them debuggable.
const common = { bundle: true, minify: true, target: ['es2022'], legalComments: 'none', sourcemap: true, logLevel: 'warning' };
await Promise.all([
  // ES modules, for pages and bundlers that import them.
  build({ ...common, format: 'esm', entryPoints: ['api-client.js', 'inventory-widget.js', 'admin-panel.js', 'demo.js'].map((f) => join(src, f)), outdir: dist }),
  // One file each for a plain <script> tag: window.InventoryApi, and the widget (which defines <inventory-status>).
  build({ ...common, format: 'iife', globalName: 'InventoryApi', entryPoints: [join(src, 'api-client.js')], outfile: join(dist, 'api-client.global.js') }),
  build({ ...common, format: 'iife', globalName: 'InventoryWidget', entryPoints: [join(src, 'inventory-widget.js')], outfile: join(dist, 'inventory-widget.global.js') }),
]);
for (const file of ['admin-panel.html', 'demo.html', 'embed-example.html', 'api-client.d.ts', 'inventory-widget.d.ts']) {
  await copyFile(join(src, file), join(dist, file));
}
console.log(`web: built ${dist}`);
