// opslab team dashboard: sorts the learners table in the page when a
// column heading is clicked. Without this script the headings are links
// that ask the server for the sorted page (?sort=&dir=); with it the rows
// reorder in place, aria-sort follows, and the address keeps the sort.
(function () {
  "use strict";

  function sortValue(row, index, type) {
    var cell = row.cells[index];
    var v = cell ? cell.getAttribute("data-sort-value") || "" : "";
    return type === "number" ? Number(v) || 0 : v;
  }

  function sortTable(table, th, ascending) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var index = heads.indexOf(th);
    var type = th.getAttribute("data-sort-type");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      return { row: row, key: sortValue(row, index, type), name: sortValue(row, 0, "text"), i: i };
    });
    rows.sort(function (a, b) {
      var c;
      if (type === "number") c = a.key - b.key;
      else c = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      if (!ascending) c = -c;
      if (c === 0 && index !== 0) c = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      return c || a.i - b.i;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });

    heads.forEach(function (h) {
      var link = h.querySelector("a");
      if (h === th) h.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      else h.removeAttribute("aria-sort");
      if (!link) return;
      // Each link asks for what a click on it would do next.
      var next = h === th ? !ascending : h.getAttribute("data-sort-first") === "ascending";
      var url = new URL(link.href, location.href);
      url.searchParams.set("dir", next ? "asc" : "desc");
      link.href = url.pathname + url.search + url.hash;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-role=sortable]").forEach(function (table) {
      if (!table.tHead || !table.tBodies.length) return;
      table.tHead.querySelectorAll("th[data-sort-key] a").forEach(function (link) {
        link.addEventListener("click", function (ev) {
          if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
          ev.preventDefault();
          var th = link.closest("th");
          var current = th.getAttribute("aria-sort");
          var ascending = current ? current !== "ascending" : th.getAttribute("data-sort-first") === "ascending";
          var url = new URL(link.href, location.href);
          sortTable(table, th, ascending);
          try { history.replaceState(null, "", url.pathname + url.search + url.hash); } catch (e) {}
        });
      });
    });
  });
})();
