// Live countdowns: every element with data-due (ISO 8601) shows the time left, or how long
// ago it passed, and is marked "soon" (under 15 min) or "over". No framework, no build.
(function () {
  function fmt(ms) {
    const sign = ms < 0 ? "-" : "";
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d) return `${sign}${d} d ${h} t`;
    if (h) return `${sign}${h} t ${m} min`;
    return `${sign}${m} min ${String(s).padStart(2, "0")} s`;
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      const left = Date.parse(el.dataset.due) - now;
      el.textContent = fmt(left);
      el.classList.toggle("over", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 15 * 60 * 1000);
    });
  }
  window.deskTick = tick;
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
