import { createHash } from 'node:crypto';

// The noVNC page (npm's @novnc/novnc has its modules but no page): it opens the WebSocket named by noVNC's `path`
// parameter (Nova's URLs put `?token=…` there), or the proxy's root with the `token` parameter; a token may also come
// in the `token` cookie, which the proxy reads as Nova's does. The document's title tells a test what happened.

const SCRIPT = `
import RFB from './core/rfb.js';

const params = new URLSearchParams(location.search);
const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
const url = new URL((params.get('path') ?? '').replace(/^\\/+/, ''), scheme + '//' + location.host + '/');
if (params.get('token') && !url.searchParams.has('token')) url.searchParams.set('token', params.get('token'));
const status = (text) => {
  document.getElementById('status').textContent = text;
  document.title = text;
};
const rfb = new RFB(document.getElementById('screen'), url.href, { shared: true });
rfb.scaleViewport = true;
rfb.addEventListener('connect', () => status('connected'));
rfb.addEventListener('disconnect', (e) => status(e.detail.clean ? 'disconnected' : 'failed'));
rfb.addEventListener('securityfailure', () => status('refused'));
rfb.addEventListener('desktopname', (e) => (document.getElementById('name').textContent = e.detail.name));
window.rfb = rfb;
`;

/** The Content-Security-Policy hash of the page's one inline script: nothing else inline runs. */
export const VNC_SCRIPT_HASH = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

export const VNC_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>connecting</title>
<style>
  html, body { margin: 0; height: 100%; background: #222; color: #eee; font: 14px sans-serif; }
  #bar { padding: 4px 8px; background: #333; }
  #screen { position: absolute; top: 28px; bottom: 0; left: 0; right: 0; }
</style>
</head>
<body>
<div id="bar"><span id="status">connecting</span> <span id="name"></span></div>
<div id="screen"></div>
<script type="module">${SCRIPT}</script>
</body>
</html>
`;
