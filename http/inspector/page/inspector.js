import { ApiError, call, session, signIn, stream } from './api.js';
import { VirtualList } from './virtual-list.js';
import { actorRow, countsView, el, nodeRow } from './render.js';

// The inspector's page: sign in, then the live tree (nodes, supervisors, counts), a virtualised list of actors
// with search and filters, a detail panel per actor, the operator's actions and their audit.

const $ = (id) => document.getElementById(id);
const state = { view: { offset: 0, limit: 60 }, applied: 0, stream: undefined, kinds: new Set(), nodes: new Set(), open: undefined };

function setStatus(text) {
  $('status').textContent = text;
}

function showSignIn(message = '') {
  state.stream?.close();
  state.stream = undefined;
  $('sign-in-view').hidden = false;
  $('inspector-view').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in-error').textContent = message;
  setStatus('Signed out');
}

async function act(label, method, path, after, body) {
  if (!confirm(`${label}?`)) return;
  try {
    await call(method, path, undefined, body);
    setStatus(`${label}: done`);
  } catch (e) {
    setStatus(`${label}: refused (${e.status}) ${e.message}`);
  }
  await loadAudit();
  after?.();
}

const list = new VirtualList($('actor-list'), {
  renderRow: actorRow,
  onWindow: (w) => {
    state.view = { ...state.view, ...w };
    state.stream?.view(state.view);
  },
  onOpen: (row) => openActor(row.kind, row.id),
});

function fillSelect(select, values, known) {
  let changed = false;
  for (const v of values)
    if (!known.has(v)) {
      known.add(v);
      select.append(el('option', {}, v));
      changed = true;
    }
  return changed;
}

function applyBatch(b) {
  state.applied = b.seq;
  // os-services changes them too: the table follows every few seconds without a stream of its own.
  if (b.seq % 20 === 0) void loadServices();
  $('seq').textContent = String(b.seq);
  $('changes').textContent = String(b.changes);
  $('total').textContent = String(b.total);
  const filters = $('filters');
  fillSelect(
    filters.elements.node,
    b.nodes.map((n) => n.id),
    state.nodes,
  );
  const kinds = new Set(b.nodes.flatMap((n) => Object.values(n.supervisors ?? {}).flatMap((k) => Object.keys(k))));
  for (const k of Object.keys(b.passivated)) kinds.add(k);
  fillSelect(filters.elements.kind, [...kinds], state.kinds);
  $('nodes').tBodies[0].replaceChildren(
    ...b.nodes.map((n) =>
      nodeRow(
        n,
        n.status === 'up'
          ? [el('button', { type: 'button', onclick: () => act(`Drain node ${n.id}`, 'POST', `nodes/${encodeURIComponent(n.id)}/drain`) }, 'Drain')]
          : [],
      ),
    ),
  );
  $('passivated').textContent = `Passivated: ${
    Object.entries(b.passivated)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none'
  }`;
  $('consoles').textContent =
    b.consoles === null
      ? 'Console sessions: not available on this build'
      : `Console sessions: ${
          b.consoles
            .map(
              (c) => `${c.server} on ${c.node} (${c.protocol}, since ${c.since}, ${c.bytes_to_guest} bytes to guest, ${c.bytes_to_client} to client)`,
            )
            .join(', ') || 'none'
        }`;
  $('counts').replaceChildren(countsView(b.counts));
  list.update(b.total, b.view.offset, b.actors);
  if (b.events.length)
    $('events').replaceChildren(
      ...b.events
        .slice(-15)
        .reverse()
        .map((e) => el('li', {}, `${new Date(e.at).toISOString().slice(11, 23)} ${e.kind}/${e.id} ${e.event}${e.reason ? `: ${e.reason}` : ''}`)),
    );
  if (state.open && b.events.some((e) => e.kind === state.open.kind && e.id === state.open.id)) void openActor(state.open.kind, state.open.id);
  setStatus(`Live · ${b.unreachable_nodes.length ? `not answering: ${b.unreachable_nodes.join(', ')}` : 'all nodes answering'}`);
}

function connect() {
  $('sign-in-view').hidden = true;
  $('inspector-view').hidden = false;
  $('sign-out').hidden = false;
  setStatus('Connecting…');
  state.stream = stream(
    (m) => {
      if (m.type === 'ready') state.stream.view(state.view);
      else if (m.type === 'batch') applyBatch(m);
      else if (m.type === 'error') setStatus(`Stream: ${m.code} ${m.message}`);
    },
    (code, reason) => {
      if (code === 4401 || code === 4403) {
        session.clear();
        showSignIn(reason || 'Signed out');
      } else if (state.stream) {
        setStatus(`Stream closed (${code}); reconnecting…`);
        setTimeout(() => session.get() && connect(), 2000);
      }
    },
  );
  void loadAudit();
  void loadServices();
}

// Disabling asks for the reason Nova records (cancelling it cancels the action); enabling is confirmed.
function disableService(host) {
  const reason = prompt(`Disable the compute service on ${host}? Reason (optional):`, '');
  if (reason === null) return;
  const path = `services/${encodeURIComponent(host)}/disable`;
  void call('POST', path, undefined, reason ? { reason } : {})
    .then(
      () => setStatus(`Disable ${host}: done`),
      (e) => setStatus(`Disable ${host}: refused (${e.status}) ${e.message}`),
    )
    .finally(() => Promise.all([loadAudit(), loadServices()]));
}

async function loadServices() {
  try {
    const { services } = await call('GET', 'services');
    $('services').tBodies[0].replaceChildren(
      ...services.map((s) =>
        el(
          'tr',
          { 'data-host': s.host, 'data-service': s.disabled ? 'disabled' : 'enabled' },
          el('th', { scope: 'row' }, s.host),
          el('td', {}, s.zone),
          el('td', {}, `${s.disabled ? 'disabled' : 'enabled'}${s.forced_down ? ', forced down' : ''}`),
          el('td', {}, s.disabled_reason ?? ''),
          el(
            'td',
            {},
            s.disabled
              ? el(
                  'button',
                  {
                    type: 'button',
                    onclick: () =>
                      act(`Enable the compute service on ${s.host}`, 'POST', `services/${encodeURIComponent(s.host)}/enable`, loadServices),
                  },
                  'Enable',
                )
              : el('button', { type: 'button', onclick: () => disableService(s.host) }, 'Disable'),
          ),
        ),
      ),
    );
  } catch (e) {
    $('services').tBodies[0].replaceChildren(el('tr', {}, el('td', { colspan: '5' }, `Compute services: ${e.message}`)));
  }
}

async function loadAudit() {
  try {
    const { audit } = await call('GET', 'audit', { limit: 50 });
    $('audit').tBodies[0].replaceChildren(
      ...audit.map((a) =>
        el(
          'tr',
          {},
          el('td', {}, a.at),
          el('td', {}, a.user_name ?? a.user_id),
          el('td', {}, a.action),
          el('td', {}, a.target),
          el('td', {}, a.result),
        ),
      ),
    );
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) showSignIn(e.message);
  }
}

async function openActor(kind, id) {
  state.open = { kind, id };
  const panel = $('detail');
  panel.hidden = false;
  $('detail-title').textContent = `${kind}/${id}`;
  try {
    const [{ actor, crashes }, { dead_letters: letters }] = await Promise.all([
      call('GET', `actors/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`),
      call('GET', 'dead-letters', { kind, id, limit: 20 }),
    ]);
    const fields = {
      status: actor.status,
      node: actor.node,
      epoch: actor.epoch,
      mailbox: actor.mailboxDepth,
      handled: actor.handled,
      restarts: actor.restarts,
      failure: actor.failure,
      'last crash': actor.lastCrash?.reason,
      summary: actor.summary ? JSON.stringify(actor.summary) : undefined,
    };
    $('detail-fields').replaceChildren(
      ...Object.entries(fields)
        .filter(([, v]) => v !== undefined && v !== null)
        .flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-field': k }, v)]),
    );
    $('detail-recent').replaceChildren(...(actor.recent ?? []).map((m) => el('li', {}, `${m.type} ${m.outcome} ${m.ms} ms`)));
    $('detail-crashes').replaceChildren(
      ...crashes.map((c) => el('li', {}, el('p', {}, `${c.at} ${c.message_type ?? ''}: ${c.reason}`), el('pre', {}, c.stack ?? ''))),
    );
    $('detail-letters').replaceChildren(
      ...letters.map((d) =>
        el(
          'li',
          { 'data-letter': d.id },
          `${d.type}: ${d.reason} (${d.attempts} attempts) `,
          el(
            'button',
            {
              type: 'button',
              onclick: () => act(`Retry dead letter ${d.id}`, 'POST', `dead-letters/${encodeURIComponent(d.id)}/retry`, () => openActor(kind, id)),
            },
            'Retry',
          ),
          el(
            'button',
            {
              type: 'button',
              onclick: () => act(`Drop dead letter ${d.id}`, 'DELETE', `dead-letters/${encodeURIComponent(d.id)}`, () => openActor(kind, id)),
            },
            'Drop',
          ),
        ),
      ),
    );
    const path = `actors/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;
    $('detail-actions').replaceChildren(
      el('button', { type: 'button', onclick: () => act(`Restart ${kind}/${id}`, 'POST', `${path}/restart`, () => openActor(kind, id)) }, 'Restart'),
      el('button', { type: 'button', onclick: () => act(`Stop ${kind}/${id}`, 'POST', `${path}/stop`, () => openActor(kind, id)) }, 'Stop'),
    );
  } catch (e) {
    $('detail-fields').replaceChildren(el('dt', {}, 'error'), el('dd', {}, e.message));
  }
}

$('detail-close').addEventListener('click', () => {
  state.open = undefined;
  $('detail').hidden = true;
  $('actor-list').focus();
});

$('sign-in').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const fields = Object.fromEntries([...f.entries()].filter(([, v]) => v !== ''));
  try {
    await signIn(fields);
    e.target.reset();
    connect();
  } catch (err) {
    $('sign-in-error').textContent = err.message;
  }
});

$('sign-out').addEventListener('click', () => {
  session.clear();
  showSignIn();
});

let filterTimer;
$('filters').addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    const f = $('filters').elements;
    const view = { offset: 0, limit: state.view.limit };
    for (const k of ['q', 'kind', 'state', 'node']) if (f[k].value) view[k] = f[k].value;
    state.view = view;
    $('actor-list').scrollTop = 0;
    state.stream?.view(view);
  }, 200);
});
$('filters').addEventListener('submit', (e) => e.preventDefault());

if (session.get()) connect();
else showSignIn();
