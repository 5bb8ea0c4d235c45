/*
 * The coordinators' dashboard in Teams. Signs in with Teams SSO (authentication.getAuthToken) and
 * reads /api/tab/*; outside Teams it says so plainly, and on a local unauthenticated server offers
 * the dev sign-in. Every chart has a table of the same numbers beside it.
 */
(function () {
  'use strict';

  var INIT_TIMEOUT_MS = 4000;
  var PAGE = 25;
  var state = { auth: null, role: null, offset: 0, charts: [], report: null, theme: 'default', lastView: 'pipeline' };

  var $ = function (id) { return document.getElementById(id); };
  var status = function (text) { $('status').textContent = text; };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'className') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }

  function withTimeout(promise, ms) {
    return Promise.race([promise, new Promise(function (_, reject) { setTimeout(function () { reject(new Error('timed out')); }, ms); })]);
  }

  // ---- theme ------------------------------------------------------------------------------------

  function applyTheme(theme) {
    state.theme = theme === 'dark' || theme === 'contrast' ? theme : 'default';
    document.body.className = 'theme-' + state.theme;
    if (state.report) renderReport(state.report);
  }

  function cssVar(name) { return getComputedStyle(document.body).getPropertyValue(name).trim(); }

  // ---- signing in -------------------------------------------------------------------------------

  /** Resolves true inside Teams (initialize answered in time), false outside it. */
  function inTeams() {
    if (typeof microsoftTeams === 'undefined') return Promise.resolve(false);
    return withTimeout(microsoftTeams.app.initialize(), INIT_TIMEOUT_MS).then(function () { return true; }, function () { return false; });
  }

  function signInWithTeams() {
    return microsoftTeams.app.getContext().then(function (context) {
      applyTheme(context.app && context.app.theme);
      microsoftTeams.app.registerOnThemeChangeHandler(applyTheme);
      return teamsToken();
    }).then(start, function (err) {
      status('Teams could not sign you in to the dashboard (' + (err && err.message ? err.message : String(err)) + '). Close the tab and open it again; if it persists, ask your Teams administrator to grant the app consent.');
    });
  }

  function teamsToken() {
    return microsoftTeams.authentication.getAuthToken().then(function (token) {
      state.auth = { header: 'Bearer ' + token, refresh: teamsToken };
    });
  }

  function outsideTeams() {
    return fetch('/api/tab/mode').then(function (r) { return r.json(); }).then(function (mode) {
      if (mode.mode !== 'dev') {
        status('This is the RJ Referrals dashboard for Microsoft Teams: open it from the RJ Referrals app in Teams. It does not work on its own in a browser.');
        return;
      }
      status('Not running inside Microsoft Teams. This local server has no authentication, so you can pick a persona below.');
      return fetch('/api/tab/dev/personas').then(function (r) { return r.json(); }).then(function (body) {
        var select = $('persona');
        body.personas.forEach(function (p) { select.appendChild(el('option', { value: p.tenantId + ' ' + p.aadObjectId, text: p.label })); });
        $('signin').hidden = false;
        $('persona-go').addEventListener('click', function () {
          state.auth = { header: 'Dev ' + select.value, refresh: null };
          $('signin').hidden = true;
          start();
        });
      });
    });
  }

  function api(path, retried) {
    return fetch(path, { headers: { Authorization: state.auth.header } }).then(function (r) {
      if (r.status === 401 && state.auth.refresh && !retried) return state.auth.refresh().then(function () { return api(path, true); });
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.message || body.reason || body.error || ('HTTP ' + r.status));
        return body;
      });
    });
  }

  function download(path, name) {
    fetch(path, { headers: { Authorization: state.auth.header } }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.blob();
    }).then(function (blob) {
      var a = el('a', { href: URL.createObjectURL(blob), download: name });
      document.body.appendChild(a);
      a.click();
      a.remove();
    }).catch(function (err) { status('The CSV could not be downloaded: ' + err.message); });
  }

  // ---- views ------------------------------------------------------------------------------------

  function show(view) {
    ['pipeline', 'case', 'facilitators', 'reports'].forEach(function (v) { $('view-' + v).hidden = v !== view; });
    Array.prototype.forEach.call(document.querySelectorAll('#views button'), function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-view') === view));
    });
    if (view !== 'case') state.lastView = view;
  }

  function table(tableEl, columns, rows, numeric) {
    var thead = tableEl.querySelector('thead') || tableEl.appendChild(el('thead'));
    var tbody = tableEl.querySelector('tbody') || tableEl.appendChild(el('tbody'));
    thead.replaceChildren(el('tr', {}, columns.map(function (c, i) { return el('th', { scope: 'col', className: numeric && numeric[i] ? 'num' : '', text: c }); })));
    tbody.replaceChildren.apply(tbody, rows.map(function (row) {
      return el('tr', {}, row.map(function (cell, i) {
        if (cell instanceof Node) return el('td', {}, [cell]);
        return el('td', { className: numeric && numeric[i] ? 'num' : '', text: cell === null || cell === undefined ? '' : String(cell) });
      }));
    }));
  }

  function pipelineQuery() {
    var f = $('pipeline-filters');
    var q = new URLSearchParams();
    q.set('stage', f.stage.value);
    if (f.source.value.trim()) q.set('source', f.source.value.trim());
    if (f.facilitator.value) q.set('facilitator', f.facilitator.value);
    if (f.overdue.checked) q.set('overdue', 'true');
    return q;
  }

  function loadPipeline() {
    var q = pipelineQuery();
    q.set('limit', String(PAGE));
    q.set('offset', String(state.offset));
    status('Loading the pipeline…');
    return api('/api/tab/pipeline?' + q).then(function (p) {
      state.role = p.role;
      $('views').hidden = false;
      document.querySelectorAll('#views button').forEach(function (b) {
        b.hidden = p.role !== 'coordinator' && b.getAttribute('data-view') !== 'pipeline';
      });
      $('pipeline-filters').facilitator.parentElement.hidden = p.role !== 'coordinator';
      if (p.role === 'coordinator' && $('pipeline-filters').facilitator.options.length === 1) {
        api('/api/tab/facilitators').then(function (b) { fillFacilitatorFilter(b.facilitators); }, function () {});
      }
      $('stage-counts').replaceChildren.apply($('stage-counts'), p.counts.filter(function (c) { return c.count > 0 || p.role === 'coordinator'; }).map(function (c) {
        return el('div', { className: 'count', 'data-stage': c.stage }, [el('b', { text: String(c.count) }), c.label]);
      }));
      var full = p.cases.length === 0 || p.cases[0].kind === 'full';
      if (full) {
        table($('pipeline-table'), ['Reference', 'Stage', 'Source', 'Facilitators', 'Days in stage', 'Next due'], p.cases.map(function (c) {
          var open = el('button', { type: 'button', className: 'link', 'data-ref': c.reference, text: c.reference });
          open.addEventListener('click', function () { openCase(c.reference); });
          var due = c.nextDue ? el('span', { className: c.nextDue.overdue ? 'overdue' : '', text: c.nextDue.label + (c.nextDue.overdue ? ' (overdue since ' : ' (due ') + c.nextDue.due.slice(0, 10) + ')' }) : 'Nothing due';
          return [open, c.stageLabel, c.source, c.facilitators.join(', ') || '—', c.daysInStage, due];
        }), [false, false, false, false, true, false]);
      } else {
        table($('pipeline-table'), ['Reference', 'Status', 'Referred on'], p.cases.map(function (c) { return [c.reference, c.status, c.referredOn]; }));
      }
      $('prev').disabled = state.offset === 0;
      $('next').disabled = !p.page.hasMore;
      show('pipeline');
      status(p.role === 'referrer' ? 'Your referrals and where they stand.' : 'Signed in as a ' + p.role + '.');
    }).catch(function (err) { status(err.message); });
  }

  function openCase(reference) {
    status('Opening ' + reference + '…');
    api('/api/tab/case/' + encodeURIComponent(reference)).then(function (c) {
      $('case-title').textContent = 'Case ' + c.reference;
      var body = [];
      if (c.kind === 'status') {
        body.push(el('dl', { className: 'facts' }, [el('dt', { text: 'Status' }), el('dd', { text: c.status }), el('dt', { text: 'Referred on' }), el('dd', { text: c.referredOn })]));
      } else {
        var facts = [['Stage', c.stageLabel], ['Offence', c.offence], ['Source', c.source], ['Referred on', c.referredOn], ['Facilitators', c.facilitators.join(', ') || 'None yet']]
          .concat(c.consent.map(function (x) { return ['Consent of ' + x.party, x.status]; }))
          .concat(c.flags.length ? [['Flags', c.flags.join(' · ')]] : []);
        body.push(el('dl', { className: 'facts' }, facts.reduce(function (acc, f) { return acc.concat([el('dt', { text: f[0] }), el('dd', { text: f[1] || '' })]); }, [])));
        body.push(el('h3', { text: 'Due' }));
        body.push(c.due.length ? el('ul', {}, c.due.map(function (d) { return el('li', { className: d.overdue ? 'overdue' : '', text: d.label + ': ' + (d.overdue ? 'overdue since ' : 'due ') + d.due.slice(0, 16).replace('T', ' ') }); })) : el('p', { text: 'Nothing due.' }));
        body.push(el('h3', { text: 'Timeline' }));
        body.push(el('ol', { className: 'timeline' }, c.timeline.map(function (t) { return el('li', { text: t.at.slice(0, 10) + ' · ' + t.text + (t.by ? ' (' + t.by + ')' : '') }); })));
        if (c.openInBot) {
          var link = el('a', { href: c.openInBot, className: 'button', text: 'Open in the RJ Referrals chat' });
          link.addEventListener('click', function (e) {
            // Inside Teams a deep link is opened by Teams itself; in a browser the link works as it is.
            if (typeof microsoftTeams !== 'undefined' && microsoftTeams.app.isInitialized && microsoftTeams.app.isInitialized()) {
              e.preventDefault();
              microsoftTeams.app.openLink(c.openInBot);
            }
          });
          body.push(el('p', {}, [link, ' Actions on the case stay in the bot.']));
        }
      }
      $('case-body').replaceChildren.apply($('case-body'), body);
      show('case');
      $('case-title').focus();
      status('Case ' + c.reference + '.');
    }).catch(function (err) { status(err.message); });
  }

  function loadFacilitators() {
    status('Loading facilitators…');
    return api('/api/tab/facilitators').then(function (body) {
      table($('facilitators-table'), ['Facilitator', 'Open cases', 'Maximum', 'Paused', 'Experienced', 'Last activity'], body.facilitators.map(function (f) {
        return [f.name, f.openCases, f.maxCases, f.paused ? 'Paused' : 'No', f.experienced ? 'Yes' : 'No', f.lastActivityAt ? f.lastActivityAt.slice(0, 10) : 'None'];
      }), [false, true, true, false, false, false]);
      fillFacilitatorFilter(body.facilitators);
      show('facilitators');
      status(body.facilitators.length + ' facilitators.');
    }).catch(function (err) { status(err.message); });
  }

  function fillFacilitatorFilter(people) {
    // The pipeline's facilitator filter takes an id: names alone need not be unique.
    var select = $('pipeline-filters').facilitator;
    var chosen = select.value;
    select.replaceChildren.apply(select, [el('option', { value: '', text: 'Anyone' })].concat(people.map(function (f) { return el('option', { value: f.aadObjectId, text: f.name }); })));
    select.value = chosen;
  }

  // ---- reports ----------------------------------------------------------------------------------

  var CHARTS = { referrals: 'bar', conversion: 'bar', screen_outs: 'bar', outcomes: 'bar', screenings: 'bar' };

  function chartData(t) {
    if (t.id === 'referrals') {
      var months = []; var sources = [];
      t.rows.forEach(function (r) { if (months.indexOf(r[0]) < 0) months.push(r[0]); if (sources.indexOf(r[1]) < 0) sources.push(r[1]); });
      return {
        labels: months,
        datasets: sources.map(function (s, i) {
          return { label: s, backgroundColor: palette(i), data: months.map(function (m) { var row = t.rows.find(function (r) { return r[0] === m && r[1] === s; }); return row ? row[2] : 0; }) };
        }),
        stacked: true,
      };
    }
    var valueCol = t.columns.length - 1;
    var labelCol = t.id === 'screen_outs' ? 0 : 0;
    return { labels: t.rows.map(function (r) { return r[labelCol]; }), datasets: [{ label: t.columns[valueCol], backgroundColor: palette(0), data: t.rows.map(function (r) { return r[valueCol]; }) }], stacked: false };
  }

  function palette(i) {
    var light = ['#5b5fc7', '#e97548', '#4f9f6e', '#c4314b', '#8a6cc4', '#2f8fb4'];
    if (state.theme === 'contrast') return ['#ffff01', '#1aebff', '#3ff23f', '#ff6b6b', '#ffffff', '#c59dff'][i % 6];
    return light[i % light.length];
  }

  function renderReport(body) {
    state.report = body;
    state.charts.forEach(function (c) { c.destroy(); });
    state.charts = [];
    var container = $('report-body');
    var blocks = body.tables.map(function (t) {
      var csv = el('button', { type: 'button', text: 'CSV', 'aria-label': 'Download ' + t.title + ' as CSV' });
      csv.addEventListener('click', function () {
        var f = $('report-period');
        download('/api/tab/reports.csv?' + new URLSearchParams({ from: f.from.value, to: f.to.value, table: t.id }), t.id + '.csv');
      });
      var tbl = el('table', { 'data-table': t.id }, [el('caption', { className: 'sr-only', text: t.title }), el('thead'), el('tbody')]);
      table(tbl, t.columns, t.rows, t.columns.map(function (_, i) { return t.rows.length > 0 && typeof t.rows[0][i] === 'number'; }));
      var parts = [el('div', { className: 'table-wrap' }, [tbl])];
      if (CHARTS[t.id] && typeof Chart !== 'undefined' && t.rows.length > 0) {
        var canvas = el('canvas', { role: 'img', 'aria-label': t.title + ': chart of the numbers in the table beside it' });
        parts.unshift(el('div', { className: 'chart' }, [canvas]));
        var d = chartData(t);
        Chart.defaults.color = cssVar('--fg');
        Chart.defaults.borderColor = cssVar('--line');
        state.charts.push(new Chart(canvas, {
          type: 'bar',
          data: { labels: d.labels, datasets: d.datasets },
          options: {
            animation: false, maintainAspectRatio: false, indexAxis: t.id === 'referrals' ? 'x' : 'y',
            plugins: { legend: { display: d.datasets.length > 1 } },
            scales: { x: { stacked: d.stacked, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: d.stacked, beginAtZero: true, ticks: { precision: 0 } } },
          },
        }));
      }
      return el('section', { className: 'report', 'aria-label': t.title }, [
        el('div', { className: 'block-head' }, [el('h3', { text: t.title }), csv]),
        el('div', { className: 'report-block' + (parts.length > 1 ? ' with-chart' : '') }, parts),
      ]);
    });
    var headline = 'Referrals received: ' + body.report.referrals + ' · People supported: ' + body.report.peopleSupported +
      (typeof body.openErasureRequests === 'number' ? ' · Erasure requests open now: ' + body.openErasureRequests : '');
    container.replaceChildren.apply(container, [el('p', { text: headline })].concat(blocks));
  }

  function loadReports() {
    var f = $('report-period');
    status('Loading the report…');
    return api('/api/tab/reports?' + new URLSearchParams({ from: f.from.value, to: f.to.value })).then(function (body) {
      show('reports');
      renderReport(body);
      status('Report for ' + f.from.value + ' to ' + f.to.value + ' (to not included).');
    }).catch(function (err) { show('reports'); status(err.message); });
  }

  function defaultPeriod() {
    var now = new Date();
    var to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    var from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1));
    var f = $('report-period');
    if (!f.from.value) f.from.value = from.toISOString().slice(0, 10);
    if (!f.to.value) f.to.value = to.toISOString().slice(0, 10);
  }

  // ---- start ------------------------------------------------------------------------------------

  function start() {
    state.offset = 0;
    defaultPeriod();
    return loadPipeline();
  }

  function wire() {
    Array.prototype.forEach.call(document.querySelectorAll('#views button'), function (b) {
      b.addEventListener('click', function () {
        var v = b.getAttribute('data-view');
        if (v === 'pipeline') loadPipeline();
        else if (v === 'facilitators') loadFacilitators();
        else loadReports();
      });
    });
    $('pipeline-filters').addEventListener('submit', function (e) { e.preventDefault(); state.offset = 0; loadPipeline(); });
    $('report-period').addEventListener('submit', function (e) { e.preventDefault(); loadReports(); });
    $('prev').addEventListener('click', function () { state.offset = Math.max(0, state.offset - PAGE); loadPipeline(); });
    $('next').addEventListener('click', function () { state.offset += PAGE; loadPipeline(); });
    $('case-back').addEventListener('click', function () { show(state.lastView); });
    $('pipeline-csv').addEventListener('click', function (e) { e.preventDefault(); download('/api/tab/pipeline.csv?' + pipelineQuery(), 'pipeline.csv'); });
    $('facilitators-csv').addEventListener('click', function (e) { e.preventDefault(); download('/api/tab/facilitators.csv', 'facilitators.csv'); });
    $('case-title').setAttribute('tabindex', '-1');
  }

  document.addEventListener('DOMContentLoaded', function () {
    wire();
    var params = new URLSearchParams(window.location.search);
    if (params.get('theme')) applyTheme(params.get('theme'));
    inTeams().then(function (yes) { return yes ? signInWithTeams() : outsideTeams(); }).catch(function (err) { status('The dashboard could not start: ' + err.message); });
  });
})();
