import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One static file the dashboard serves, read once at startup. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/**
 * The dashboard's files: our page, script and styles (from `dashboard/`
 * beside the built module, or in `src/` when running from source) and uPlot
 * from its npm package, so nothing comes from a CDN.
 */
export function loadDashboardAssets(): Map<string, Asset> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = [path.join(here, "dashboard"), path.join(here, "..", "dashboard")].find((d) => existsSync(path.join(d, "index.html")));
  if (dir === undefined) throw new Error(`[mq:admin] dashboard files not found beside ${here}; reinstall @mq/admin`);
  const require = createRequire(import.meta.url);
  const uplotDir = path.dirname(require.resolve("uplot/package.json"));
  const read = (file: string, type: string): Asset => ({ type, body: readFileSync(file) });
  return new Map([
    ["/", read(path.join(dir, "index.html"), "text/html; charset=utf-8")],
    ["/dashboard/app.js", read(path.join(dir, "app.js"), "text/javascript; charset=utf-8")],
    ["/dashboard/app.css", read(path.join(dir, "app.css"), "text/css; charset=utf-8")],
    ["/dashboard/uplot.js", read(path.join(uplotDir, "dist", "uPlot.iife.min.js"), "text/javascript; charset=utf-8")],
    ["/dashboard/uplot.css", read(path.join(uplotDir, "dist", "uPlot.min.css"), "text/css; charset=utf-8")],
  ]);
}
