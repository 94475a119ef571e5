// Live countdowns: every element with data-due (ISO 8601) shows the time left, or how long
// ago it passed ("brutt for 27 d siden"), marked "soon" (under 15 min) or "over".
// Selects and checkboxes with data-autosubmit submit their form on change (the filters,
// the language). A table too wide for the screen scrolls inside its .table-wrap (the page
// itself never scrolls sideways); while it does, the wrapper takes a tab stop so the
// keyboard can scroll it too. No framework, no build.
(function () {
  function parts(ms) {
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return { d: d, h: h, m: m, s: s };
  }
  function fmt(ms) {
    const body = document.body.dataset;
    const hours = body.hours || "t";
    const p = parts(ms);
    if (ms < 0) {
      const ago = p.d ? `${p.d} d` : p.h ? `${p.h} ${hours} ${p.m} min` : `${p.m} min`;
      return (body.ago || "-{ago}").replace("{ago}", ago);
    }
    if (p.d) return `${p.d} d ${p.h} ${hours}`;
    if (p.h) return `${p.h} ${hours} ${p.m} min`;
    return `${p.m} min ${String(p.s).padStart(2, "0")} s`;
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
  function scrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      const wide = wrap.scrollWidth > wrap.clientWidth;
      if (wide && !wrap.hasAttribute("tabindex")) {
        wrap.tabIndex = 0;
        wrap.dataset.scrollStop = "1";
      } else if (!wide && wrap.dataset.scrollStop) {
        wrap.removeAttribute("tabindex");
        delete wrap.dataset.scrollStop;
      }
    });
  }
  window.deskTick = tick;
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    scrollableTables();
    window.addEventListener("resize", scrollableTables);
    // filter panels start open on a wide screen, folded on a phone (the work comes first)
    if (window.matchMedia("(min-width: 701px)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
    }
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () {
        if (el.form) el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
      });
    });
  });
})();
