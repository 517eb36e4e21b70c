// Argus Master dashboard: the little the pages need beyond htmx and its SSE extension (no framework).
// - the live notice: says when the change stream is open, and when it dropped and is reconnecting;
// - after a reconnect, the live regions are fetched again (changes made meanwhile were not streamed);
// - relative times ("12 s ago") kept current every second, from the server's clock (body[data-now]),
//   written by the same function as the server's.
import { ago } from './format.js'; // the server's own src/ui/format.ts, as built

const offset = Number(document.body.getAttribute('data-now')) - Date.now(); // server clock minus browser clock
let dropped = false;

function notice(state, text) {
  const live = document.getElementById('live');
  if (!live || live.getAttribute('data-state') === state) return;
  live.setAttribute('data-state', state);
  live.textContent = text;
}

document.addEventListener('htmx:sseOpen', function () {
  notice('open', 'Live');
  if (dropped) {
    dropped = false;
    document.querySelectorAll('[hx-trigger*="argus:refresh"]').forEach(function (el) {
      window.htmx.trigger(el, 'argus:refresh');
    });
  }
});
document.addEventListener('htmx:sseError', function () {
  dropped = true;
  notice('lost', 'Live updates lost: reconnecting…');
});

function tick() {
  const now = Date.now() + offset;
  document.querySelectorAll('time[data-ago]').forEach(function (el) {
    el.textContent = ago(Date.parse(el.getAttribute('datetime')), now);
  });
  document.querySelectorAll('[data-ago-of]').forEach(function (el) {
    el.textContent = ago(Date.parse(el.getAttribute('data-ago-of')), now);
  });
}
window.setInterval(tick, 1000);
