// The queue refreshes itself: every 15 s the rows (GET /queue/rows, same filters and page)
// replace the table body, then desk.js's countdowns run over the new rows. A failed fetch,
// or an answer that is not the rows (a login page after the session ended), leaves the
// table as it is; the next round tries again. No framework, no build.
(function () {
  const REFRESH_MS = 15 * 1000;

  function refresh() {
    const body = document.getElementById("queue-rows");
    if (!body || !body.dataset.rowsUrl || document.hidden) return;
    fetch(body.dataset.rowsUrl, {
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
        body.innerHTML = html;
        if (typeof window.deskTick === "function") window.deskTick();
        const stamp = document.getElementById("queue-updated");
        if (stamp) stamp.textContent = new Date().toLocaleTimeString("nb-NO");
      })
      .catch(function () {
        /* keep the rows shown; the next round tries again */
      });
  }

  window.queueRefresh = refresh;
  document.addEventListener("DOMContentLoaded", function () {
    setInterval(refresh, REFRESH_MS);
  });
})();
