// A check the browser tests share (not a test file itself): the room's header reads whole.
import assert from 'node:assert/strict';

/**
 * The room's title is shown whole and the header's buttons lie over none of its badges: with the
 * owner's six actions (Topics, Members, Invite, Settings, Search, Leave) in the middle column at
 * 1280 px, or three on a phone, they squeezed the title to "To…" and covered the room id.
 */
export async function assertRoomHeadReadable(page, when) {
  const head = await page.evaluate(() => {
    const box = (n) => n.getBoundingClientRect();
    const title = document.getElementById('room-title');
    const actions = box(document.querySelector('.room-head-actions'));
    const overlaps = [title, ...document.querySelectorAll('.room-meta > *')].filter((n) => {
      const r = box(n);
      return r.width > 0 && r.left < actions.right && actions.left < r.right && r.top < actions.bottom && actions.top < r.bottom;
    }).map((n) => n.id || n.className);
    return { cut: title.scrollWidth > title.clientWidth, title: title.textContent, overlaps };
  });
  assert.equal(head.cut, false, `the room title “${head.title}” shows whole ${when}`);
  assert.deepEqual(head.overlaps, [], `the header's buttons cover nothing ${when}`);
}
