// The queue refreshes itself: every 15 s its lists (GET /queue/rows, same filters and
// page) replace the ones shown and the heading's count follows them, then desk.js's
// countdowns run over the new rows. A failed fetch, or an answer that is not the lists (a
// login page after the session ended), leaves the page as it is; the next round tries
// again. Opt-in: a desktop notification for each critical ticket that was not there
// before (the browser's Notification API, asked for only when the agent clicks).
(function () {
  const REFRESH_MS = 15 * 1000;
  const NOTIFY_KEY = "triage.notify";
  let seen = null;

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
    if (seen && wanted) {
      now.forEach(function (id) {
        if (seen.has(id)) return;
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

  window.queueRefresh = refresh;
  document.addEventListener("DOMContentLoaded", function () {
    const lists = document.getElementById("queue-lists");
    if (lists) notifyNew(lists);
    setUpNotifications();
    setInterval(refresh, REFRESH_MS);
  });
})();
