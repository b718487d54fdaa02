// Accessibility checks with axe-core (npm) in the real page: axe is added to a browser context as an
// init script (so the page's Content-Security-Policy does not stop it), then run on the screen as
// it stands. Serious and critical violations fail the test, each named with its nodes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The axe-core script, for `context.addInitScript(AXE_SCRIPT)` (or `initScript: AXE_SCRIPT`). */
export const AXE_SCRIPT = { path: require.resolve('axe-core/axe.min.js') };

/** Runs axe on the page; fails on any serious or critical violation. Returns every violation. */
export async function assertAccessible(page, screen) {
  const violations = await page.evaluate(async () => {
    if (!window.axe) throw new Error('axe-core is not in this page: open it with initScript AXE_SCRIPT');
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
