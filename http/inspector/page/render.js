// Drawing helpers: every value goes in as text (textContent), never as markup.

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === undefined || c === null ? '' : String(c)));
  return e;
}

const total = (perStatus) => Object.values(perStatus).reduce((a, b) => a + b, 0);
const statusText = (perStatus) =>
  Object.entries(perStatus)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');

export function leaseText(node) {
  const ms = Date.parse(node.lease_expires_at) - Date.now();
  return node.status === 'up' || node.status === 'draining' ? `${Math.max(0, Math.round(ms / 1000))} s left` : 'lapsed';
}

/** A node's row: its roles, lease, load and supervision tree as counts. */
export function nodeRow(node, actions) {
  const tree = node.supervisors
    ? el(
        'ul',
        { class: 'tree' },
        ...Object.entries(node.supervisors).map(([sup, kinds]) =>
          el(
            'li',
            {},
            `${sup}: `,
            ...Object.entries(kinds).map(([kind, perStatus]) =>
              el('span', { class: 'kind', title: statusText(perStatus) }, `${kind} ${total(perStatus)} `),
            ),
          ),
        ),
      )
    : el('span', { class: 'muted' }, 'not answering');
  return el(
    'tr',
    { 'data-node': node.id, 'data-status': node.status },
    el('th', { scope: 'row' }, node.id, node.self ? ' (this node)' : ''),
    el('td', { class: `status-${node.status}` }, node.status),
    el('td', {}, node.roles.join(', ')),
    el('td', {}, leaseText(node)),
    el('td', {}, `${node.load.activations} actors, ${node.load.mailbox} queued`),
    el('td', {}, tree),
    el('td', {}, ...actions),
  );
}

export function actorRow(row) {
  if (!row) return el('div', { class: 'row pending' }, '…');
  return el(
    'div',
    { class: `row status-${row.status}`, 'data-actor': `${row.kind}/${row.id}`, 'data-node': row.node ?? '' },
    el('span', {}, row.kind),
    el('span', { class: 'id', title: row.id }, row.id),
    el('span', {}, row.node ?? ''),
    el('span', {}, row.status),
    el('span', {}, row.mailboxDepth ?? ''),
    el('span', {}, row.handled ?? ''),
    el('span', { class: 'restarts' }, row.restarts ?? ''),
    el('span', {}, row.epoch ?? ''),
    el('span', { class: 'crash', title: row.lastCrash?.reason ?? row.failure ?? '' }, row.lastCrash?.reason ?? row.failure ?? ''),
  );
}

export function countsView(counts) {
  return el(
    'ul',
    {},
    ...Object.entries(counts).map(([node, kinds]) =>
      el(
        'li',
        {},
        `${node === '-' ? 'not live (rows)' : node}: `,
        Object.entries(kinds)
          .map(([k, s]) => `${k} ${total(s)} (${statusText(s)})`)
          .join('; '),
      ),
    ),
  );
}
