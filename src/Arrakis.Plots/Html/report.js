// Arrakis report: value tooltips and the attention view (no dependencies, no network).
(function () {
  'use strict';
  var tip = document.getElementById('tip');
  document.addEventListener('mouseover', function (e) {
    var el = e.target.closest ? e.target.closest('[data-tip]') : null;
    if (!el) { tip.style.display = 'none'; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.style.display = 'block';
  });
  document.addEventListener('mousemove', function (e) {
    tip.style.left = (e.clientX + 12) + 'px';
    tip.style.top = (e.clientY + 12) + 'px';
  });

  function tokenText(t) { return t.length > 12 ? t.slice(0, 11) + '\u2026' : t; }

  document.querySelectorAll('.attention').forEach(function (view) {
    var data = JSON.parse(view.querySelector('script.attention-data').textContent);
    var info = view.querySelector('.attention-info');
    var panels = view.querySelectorAll('.head-panel');
    function show(q) {
      var parts = [];
      panels.forEach(function (panel) {
        var h = +panel.getAttribute('data-head');
        var row = data.patterns[h][q];
        panel.querySelectorAll('.tok').forEach(function (tok) {
          var k = +tok.getAttribute('data-pos');
          var w = k <= q ? row[k] : 0;
          tok.classList.toggle('query', k === q);
          tok.style.background = w > 0 ? 'rgba(214, 39, 40,' + Math.min(1, w).toFixed(3) + ')' : '';
          tok.setAttribute('data-weight', w.toFixed(4));
          tok.querySelector('sub.w').textContent = w >= 0.01 ? w.toFixed(2) : '';
        });
        if (!panel.hidden) {
          var best = row.map(function (w, k) { return [w, k]; }).filter(function (x) { return x[1] <= q; })
            .sort(function (a, b) { return b[0] - a[0]; }).slice(0, 3)
            .map(function (x) { return x[1] + ' ' + tokenText(data.tokens[x[1]]) + ' ' + x[0].toFixed(3); });
          parts.push(data.heads[h] + ': ' + best.join(', '));
        }
      });
      info.textContent = 'query ' + q + ' ' + tokenText(data.tokens[q]) + ' \u2192 ' + parts.join(' | ');
      info.setAttribute('data-query', q);
    }
    view.addEventListener('mouseover', function (e) {
      var tok = e.target.closest('.tok');
      if (tok) show(+tok.getAttribute('data-pos'));
    });
    view.querySelectorAll('.head-toggle').forEach(function (box) {
      box.addEventListener('change', function () {
        view.querySelector('.head-panel[data-head="' + box.getAttribute('data-head') + '"]').hidden = !box.checked;
      });
    });
  });
})();
