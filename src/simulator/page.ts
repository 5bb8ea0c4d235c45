/**
 * The simulator's page. Browser code kept as text: the project compiles without DOM types, which
 * must not leak into Node code. Cards are drawn by Microsoft's adaptivecards renderer with Teams' host
 * config; text by markdown-it, as Teams renders a bot's markdown.
 */
export const SIMULATOR_PAGE = `<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>RJ Referrals simulator</title>
<link rel="stylesheet" href="/simulator/assets/teams.css">
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font-family: 'Segoe UI', 'DejaVu Sans', sans-serif; font-size: 14px; background: #f5f5f5; color: #242424; }
  header { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 8px 12px; background: #464775; color: #fff; }
  header h1 { font-size: 16px; margin: 0 12px 0 0; }
  header button, header select, header input { font: inherit; padding: 3px 8px; border-radius: 4px; border: 1px solid #c8c6c4; }
  header button { background: #fff; color: #464775; cursor: pointer; }
  #clock { font-weight: 600; margin-right: 8px; }
  #banner { padding: 6px 12px; background: #fff4ce; display: none; }
  #panes { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(360px, 1fr); gap: 8px; padding: 8px; overflow-x: auto; }
  .pane { background: #fff; border: 1px solid #e1dfdd; border-radius: 6px; display: flex; flex-direction: column; height: 78vh; min-height: 420px; }
  .pane > h2 { font-size: 14px; margin: 0; padding: 8px 10px; border-bottom: 1px solid #e1dfdd; display: flex; justify-content: space-between; align-items: center; gap: 6px; }
  .pane > h2 small { font-weight: 400; color: #616161; }
  .pane iframe.tabframe { flex: 1; border: 0; width: 100%; }
  .log { flex: 1; overflow-y: auto; padding: 8px; display: flex; flex-direction: column; gap: 8px; }
  .msg { max-width: 100%; }
  .msg .who { font-size: 12px; color: #616161; margin-bottom: 2px; }
  .msg .bubble { border-radius: 6px; padding: 6px 10px; background: #f0f0f0; overflow-wrap: anywhere; }
  .msg.me { align-self: flex-end; max-width: 85%; }
  .msg.me .bubble { background: #e8ebfa; }
  .msg.note .bubble { background: #fff4ce; font-size: 12px; }
  .msg.deleted .bubble { font-style: italic; color: #616161; }
  .msg .bubble p { margin: 0 0 4px; }
  .card { border: 1px solid #e1dfdd; border-radius: 6px; overflow: hidden; margin-top: 4px; background: #fff; }
  .thread { border: 1px solid #e1dfdd; border-radius: 6px; padding: 6px; background: #fafafa; display: flex; flex-direction: column; gap: 6px; }
  .replies { margin-left: 16px; display: flex; flex-direction: column; gap: 6px; }
  .thread form { margin-left: 16px; }
  form.compose { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #e1dfdd; }
  form input { flex: 1; font: inherit; padding: 4px 8px; border: 1px solid #c8c6c4; border-radius: 4px; }
  form button { font: inherit; padding: 4px 10px; border-radius: 4px; border: 0; background: #5b5fc7; color: #fff; cursor: pointer; }
  .thread form { display: flex; gap: 6px; }
</style></head>
<body>
<header>
  <h1>RJ Referrals simulator</h1>
  <span>App clock: <span id="clock">…</span></span>
  <button data-clock="day">+1 working day</button>
  <button data-clock="week">+1 week</button>
  <button data-clock="next">Next reminder</button>
  <button id="reset">Reset</button>
  <span style="flex:1"></span>
  <input id="newName" placeholder="Name of a new person" aria-label="Name of a new person">
  <select id="newRole" aria-label="Role of the new person"><option value="facilitator">facilitator</option><option value="referrer">referrer (partner)</option></select>
  <button id="add">Add person</button>
</header>
<div id="banner"></div>
<div id="panes"></div>
<script src="/simulator/assets/markdown-it.js"></script>
<script src="/simulator/assets/adaptivecards.js"></script>
<script>
(async () => {
  const hostConfig = new AdaptiveCards.HostConfig(await (await fetch('/simulator/assets/host-config.json')).json());
  const md = window.markdownit({ html: false, linkify: true, breaks: true });
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => { result.outputHtml = md.render(text); result.didProcess = true; };
  const s = { people: [], items: [], channel: '', viewer: 'coordinator', refreshed: new Set() };
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs = {}, ...kids) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); for (const k of kids) if (k) e.append(k); return e; };
  const person = (key) => s.people.find((p) => p.key === key);
  const api = async (path, body) => {
    const r = await fetch('/simulator/api/' + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
    if (!r.ok) { const b = await r.json().catch(() => ({})); showBanner(b.error || ('HTTP ' + r.status)); }
    return r.json().catch(() => ({}));
  };
  const showBanner = (text) => { const b = $('#banner'); b.textContent = text; b.style.display = text ? 'block' : 'none'; };
  const londonTime = (iso) => new Date(iso).toLocaleString('en-GB', { timeZone: 'Europe/London', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

  // The card one viewer sees: their own Action.Execute answer or refresh, else what was sent.
  const cardFor = (item, viewer) => {
    if (item.views && item.views[viewer]) return item.views[viewer];
    const a = (item.attachments || []).find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive');
    return a ? a.content : undefined;
  };
  const renderCard = (card, item, viewer) => {
    const ac = new AdaptiveCards.AdaptiveCard();
    ac.hostConfig = hostConfig;
    ac.onExecuteAction = (action) => {
      if (action instanceof AdaptiveCards.ExecuteAction || action instanceof AdaptiveCards.SubmitAction) {
        void api('act', { type: 'execute', persona: viewer, itemId: item.id, verb: action.verb || '', data: action.data || {} });
      } else if (action instanceof AdaptiveCards.OpenUrlAction) window.open(action.url, '_blank');
    };
    ac.parse(card);
    const out = el('div', { class: 'card' });
    const r = ac.render();
    if (r) out.append(r);
    // Teams refreshes a card for the people in refresh.userIds (Universal Actions): they see their own view.
    const ids = card.refresh && card.refresh.userIds;
    const me = person(viewer);
    const key = item.id + '#' + item.version + '#' + viewer;
    if (card.refresh && card.refresh.action && me && Array.isArray(ids) && ids.includes(me.teamsId) && !(item.views && item.views[viewer]) && !s.refreshed.has(key)) {
      s.refreshed.add(key);
      void api('act', { type: 'execute', persona: viewer, itemId: item.id, verb: card.refresh.action.verb, data: card.refresh.action.data || {}, trigger: 'automatic' });
    }
    return out;
  };
  const renderItem = (item, viewer) => {
    const p = person(item.from);
    const cls = ['msg', item.from === viewer ? 'me' : '', item.from === 'note' ? 'note' : '', item.deleted ? 'deleted' : ''].join(' ');
    const box = el('div', { class: cls, 'data-item': item.id });
    box.append(el('div', { class: 'who' }, item.from === 'bot' ? 'RJ Referrals' : item.from === 'note' ? 'Simulator' : (p ? p.name : item.from)));
    if (item.text) {
      const b = el('div', { class: 'bubble' });
      if (item.from === 'bot') b.innerHTML = md.render(item.text); else b.textContent = item.text;
      box.append(b);
    }
    const card = item.deleted ? undefined : cardFor(item, viewer);
    if (card) box.append(renderCard(card, item, viewer));
    return box;
  };
  const composer = (onSend, placeholder) => {
    const input = el('input', { placeholder, 'aria-label': placeholder });
    const f = el('form', { class: 'compose' }, input, el('button', { type: 'submit' }, 'Send'));
    f.addEventListener('submit', (e) => { e.preventDefault(); const t = input.value.trim(); if (!t) return; input.value = ''; void onSend(t); });
    return f;
  };

  // Keyed reconciliation: a node is kept while its key (item, version, viewer) stays, so an event for
  // one pane never wipes what someone is typing into a card in another.
  const reconcile = (container, entries) => {
    const existing = new Map([...container.children].filter((c) => c.dataset.key).map((c) => [c.dataset.key, c]));
    let prev = null;
    for (const [key, make] of entries) {
      let node = existing.get(key);
      if (node) existing.delete(key); else { node = make(); node.dataset.key = key; }
      const want = prev ? prev.nextSibling : container.firstChild;
      if (node !== want) container.insertBefore(node, want);
      prev = node;
    }
    for (const n of existing.values()) n.remove();
  };
  const itemKey = (item, viewer) => item.id + '|' + item.version + '|' + viewer;
  const draw = () => {
    const ordered = [...s.people.filter((p) => p.role === 'referrer'), null, ...s.people.filter((p) => p.role !== 'referrer')];
    reconcile($('#panes'), [...ordered.map((p) => (p ? ['chat:' + p.key, () => chatPane(p)] : ['channel', channelPane])), ['tab', tabPane]]);
    for (const p of s.people) {
      const log = document.querySelector('[data-pane="' + p.key + '"] .log');
      if (log) keepScrolled(log, () => reconcile(log, s.items.filter((i) => i.conversationId === p.conversationId).map((i) => [itemKey(i, p.key), () => renderItem(i, p.key)])));
    }
    drawChannel();
  };
  const keepScrolled = (log, change) => {
    const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 30;
    change();
    if (atEnd) log.scrollTop = log.scrollHeight;
  };
  const chatPane = (p) => {
    const label = p.role === 'referrer' ? 'referrer, partner tenant' : p.role;
    return el('section', { class: 'pane', 'data-pane': p.key }, el('h2', {}, el('span', {}, p.name + ' ', el('small', {}, '(' + label + ', 1:1 chat with the bot)'))), el('div', { class: 'log' }),
      composer((t) => api('act', { type: 'message', persona: p.key, pane: 'chat', text: t }), 'Message RJ Referrals as ' + p.name));
  };
  const channelPane = () => {
    const select = el('select', { 'aria-label': 'Viewing the channel as' });
    select.addEventListener('change', () => { s.viewer = select.value; draw(); });
    return el('section', { class: 'pane', 'data-pane': 'channel' }, el('h2', {}, el('span', {}, 'Referrals ', el('small', {}, '(coordinators\\' channel)')), el('span', {}, 'as ', select)), el('div', { class: 'log' }),
      composer((t) => api('act', { type: 'message', persona: s.viewer, pane: 'channel', text: t }), 'New post (the bot is mentioned for you)'));
  };
  // The coordinators' dashboard as Teams would show it in a tab: the real /tab page, framed. Nothing
  // answers teams-js here, so after its initialize times out it offers the dev sign-in (local mode only).
  const tabPane = () => el('section', { class: 'pane', 'data-pane': 'tab' },
    el('h2', {}, el('span', {}, 'Dashboard ', el('small', {}, '(the coordinators\\' Teams tab, dev sign-in)'))),
    el('iframe', { src: '/tab', title: 'Coordinators\\' dashboard', class: 'tabframe' }));
  const drawChannel = () => {
    const select = document.querySelector('[data-pane="channel"] select');
    const staff = s.people.filter((p) => p.role !== 'referrer');
    reconcile(select, staff.map((p) => [p.key, () => el('option', { value: p.key }, p.name)]));
    select.value = s.viewer;
    const log = document.querySelector('[data-pane="channel"] .log');
    const inChannel = s.items.filter((i) => i.conversationId === s.channel);
    // Top-level posts, each with its replies (conversation ids with ;messageid=<root>); a reply whose root is not here stands alone.
    const roots = inChannel.filter((i) => !i.thread || i.thread === i.id || !inChannel.some((r) => r.id === i.thread));
    keepScrolled(log, () => reconcile(log, roots.map((root) => ['thread:' + root.id, () => {
      const reply = composer((text) => api('act', { type: 'message', persona: s.viewer, pane: 'channel', text, thread: root.id }), 'Reply');
      reply.classList.remove('compose');
      return el('div', { class: 'thread', 'data-thread': root.id }, el('div', { class: 'root' }), el('div', { class: 'replies' }), reply);
    }])));
    for (const root of roots) {
      const t = log.querySelector('[data-thread="' + root.id + '"]');
      reconcile(t.querySelector('.root'), [[itemKey(root, s.viewer), () => renderItem(root, s.viewer)]]);
      reconcile(t.querySelector('.replies'), inChannel.filter((i) => i.thread === root.id && i.id !== root.id).map((r) => [itemKey(r, s.viewer), () => renderItem(r, s.viewer)]));
    }
  };

  const events = new EventSource('/simulator/events');
  events.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'snapshot') {
      Object.assign(s, { people: e.people, items: e.items, channel: e.channel });
      $('#clock').textContent = londonTime(e.now);
      showBanner(e.partnerConfigured ? '' : 'PARTNER_TENANTS is empty: the referrer is in a tenant the bot does not know and will be refused. Set PARTNER_TENANTS (npm run playground and npm start set a local one).');
    } else if (e.type === 'item') {
      const i = s.items.findIndex((x) => x.id === e.item.id && x.conversationId === e.item.conversationId);
      if (i >= 0) s.items[i] = e.item; else s.items.push(e.item);
    } else if (e.type === 'clock') $('#clock').textContent = londonTime(e.now);
    draw();
  };
  document.querySelectorAll('[data-clock]').forEach((b) => b.addEventListener('click', async () => {
    const r = await api('clock', { to: b.dataset.clock });
    if (r.now && !r.moved) showBanner('No reminder is waiting: the clock stayed where it was.');
  }));
  $('#reset').addEventListener('click', () => { if (confirm('Empty the database and start again?')) void api('reset'); });
  $('#add').addEventListener('click', async () => { const name = $('#newName').value.trim(); if (!name) return; $('#newName').value = ''; await api('people', { name, role: $('#newRole').value }); });
  await api('setup');
  document.body.dataset.ready = 'true';
})();
</script>
</body></html>`;
