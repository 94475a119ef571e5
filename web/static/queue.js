// The queue refreshes itself: every 15 s its lists (GET /queue/rows, same filters and
// page) replace the ones shown and the heading's count follows them, then desk.js's
// countdowns run over the new rows. A failed fetch, or an answer that is not the lists (a
// login page after the session ended), leaves the page as it is; the next round tries
// again. Opt-in: a desktop notification for each critical ticket that was not there
// before (the browser's Notification API, asked for only when the agent clicks), and,
// opt-in on its own, a short tone with it (Web Audio: no sound file). Both choices are
// remembered in this browser (localStorage).
(function () {
  const REFRESH_MS = 15 * 1000;
  const NOTIFY_KEY = "triage.notify";
  const SOUND_KEY = "triage.sound";
  let seen = null;
  let audio = null;

  function soundOn() {
    return localStorage.getItem(SOUND_KEY) === "1";
  }

  // Two short rising beeps (about half a second). A browser lets a page start sound only
  // after the person has clicked or typed on it: the context made on the switch's click is
  // kept, and one made on a later load is resumed at the first click or key on the page.
  function tone() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) audio = new Context();
    if (audio.state === "suspended" && audio.resume) audio.resume();
    [[0, 660], [0.22, 880]].forEach(function (beep) {
      const start = audio.currentTime + beep[0];
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = beep[1];
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.2);
    });
  }

  function criticalIds(root) {
    return new Set(
      Array.from(root.querySelectorAll("tr[data-critical]")).map(function (tr) {
        return tr.dataset.ticket;
      })
    );
  }

  function notifyNew(root) {
    const now = criticalIds(root);
    const wanted =
      window.Notification && Notification.permission === "granted" &&
      localStorage.getItem(NOTIFY_KEY) === "1";
    const fresh = seen ? Array.from(now).filter(function (id) { return !seen.has(id); }) : [];
    if (fresh.length && soundOn()) tone();  // once a round, however many arrived
    if (wanted) {
      fresh.forEach(function (id) {
        const row = root.querySelector(`tr[data-ticket="${id}"]`);
        const subject = row ? row.querySelector("td:nth-child(3)").textContent.trim() : "";
        const note = new Notification(`#${id} ${subject}`, { tag: `triage-${id}` });
        note.onclick = function () { window.location.href = `/tickets/${id}`; };
      });
    }
    seen = now;
  }

  function updateCount(root) {
    const totals = root.querySelector("#queue-totals");
    const count = document.getElementById("queue-count");
    if (totals && count) count.textContent = totals.dataset.countText;
  }

  function refresh() {
    const lists = document.getElementById("queue-lists");
    if (!lists || !lists.dataset.rowsUrl || document.hidden) return;
    fetch(lists.dataset.rowsUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (!response.ok || response.headers.get("X-Queue-Rows") !== "1") {
          throw new Error("not the queue rows: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        lists.innerHTML = html;
        updateCount(lists);
        notifyNew(lists);
        if (typeof window.deskTick === "function") window.deskTick();
        const stamp = document.getElementById("queue-updated");
        if (stamp) stamp.textContent = new Date().toLocaleTimeString(document.documentElement.lang);
      })
      .catch(function () {
        /* keep the lists shown; the next round tries again */
      });
  }

  function setUpNotifications() {
    const button = document.getElementById("notify-toggle");
    if (!button || !window.Notification) return;
    button.hidden = false;
    const on = function () {
      return Notification.permission === "granted" && localStorage.getItem(NOTIFY_KEY) === "1";
    };
    button.setAttribute("aria-pressed", on() ? "true" : "false");
    button.addEventListener("click", function () {
      if (on()) {
        localStorage.removeItem(NOTIFY_KEY);
        button.setAttribute("aria-pressed", "false");
        return;
      }
      Notification.requestPermission().then(function (permission) {
        if (permission === "granted") localStorage.setItem(NOTIFY_KEY, "1");
        button.setAttribute("aria-pressed", on() ? "true" : "false");
      });
    });
  }

  function setUpSound() {
    const button = document.getElementById("sound-toggle");
    if (!button || !(window.AudioContext || window.webkitAudioContext)) return;
    button.hidden = false;
    button.setAttribute("aria-pressed", soundOn() ? "true" : "false");
    button.addEventListener("click", function () {
      if (soundOn()) {
        localStorage.removeItem(SOUND_KEY);
      } else {
        localStorage.setItem(SOUND_KEY, "1");
        tone();  // the agent hears what it will sound like (and the browser allows it)
      }
      button.setAttribute("aria-pressed", soundOn() ? "true" : "false");
    });
    const wake = function () {
      if (audio && audio.state === "suspended" && audio.resume) audio.resume();
      if (!audio && soundOn()) {
        const Context = window.AudioContext || window.webkitAudioContext;
        audio = new Context();
      }
    };
    document.addEventListener("click", wake, { once: true });
    document.addEventListener("keydown", wake, { once: true });
  }

  window.queueRefresh = refresh;
  document.addEventListener("DOMContentLoaded", function () {
    const lists = document.getElementById("queue-lists");
    if (lists) notifyNew(lists);
    setUpNotifications();
    setUpSound();
    setInterval(refresh, REFRESH_MS);
  });
})();
