// Accessibility checks with axe-core (npm) in the real page: axe is evaluated into the page through
// the browser's debugging protocol when first needed (the page's Content-Security-Policy does not
// apply there, and pages that are never checked do not parse it on every load), then run on the
// screen as it stands. Serious and critical violations fail the test, each named with its nodes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');
/** The axe-core script, for `context.addInitScript(AXE_SCRIPT)`: not needed, assertAccessible adds it. */
export const AXE_SCRIPT = { path: AXE_PATH };
let axeSource = null;

/** Runs axe on the page; fails on any serious or critical violation. Returns every violation. */
export async function assertAccessible(page, screen) {
  if (!(await page.evaluate(() => !!window.axe))) {
    axeSource ??= fs.readFileSync(AXE_PATH, 'utf8');
    await page.evaluate(axeSource);
  }
  const violations = await page.evaluate(async () => {
    if (!window.axe) throw new Error('axe-core could not be added to this page');
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1).join(' ').trim()}`),
    }));
  });
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    blocking.map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.join(' | ')}`),
    [],
    `${screen}: accessibility violations`,
  );
  return violations;
}
