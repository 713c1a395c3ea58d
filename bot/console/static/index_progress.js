// Import result page: poll the index job and show "正在更新检索索引 n/N" until it is done.
(function () {
  var el = document.getElementById("index-progress");
  if (!el) return;
  function fill(template, job) {
    return template.replace("{done}", job.done).replace("{total}", job.total);
  }
  function poll() {
    fetch(el.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        if (job.error) { el.textContent = el.dataset.failed; el.className = "notice err"; return; }
        if (job.finished) { el.textContent = fill(el.dataset.done, job); return; }
        el.textContent = fill(el.dataset.progress, job);
        setTimeout(poll, 500);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
