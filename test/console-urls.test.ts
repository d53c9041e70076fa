import test from 'ava';
import { loadConfig } from '../cluster.config.js';
import { consoleBaseUrl, consoleSettings } from '../bin/console-urls.js';

// The console URLs the compute API hands out (no database: the configuration and the proxies' bound ports only).

const config = (overrides = {}) => loadConfig({ env: {}, overrides });

test('on the defaults the URLs name Nova’s proxy ports on the public host', (t) => {
  const c = config();
  t.true(c.consoles.proxies, 'the proxies run by default');
  t.is(consoleBaseUrl(c, 'novnc'), 'http://127.0.0.1:6080/vnc_lite.html');
  t.is(consoleBaseUrl(c, 'spice-html5'), 'http://127.0.0.1:6082/spice_auto.html');
  t.is(consoleBaseUrl(c, 'serial'), 'ws://127.0.0.1:6083/');
});

test('a proxy on port 0 is named by the port it was bound to', (t) => {
  const c = config({ listen: { console: 0 }, consoles: { spicePort: 0, serialPort: 0 } });
  const bound: Record<string, number> = {};
  const settings = consoleSettings(c, bound);
  // Read at each request: the ports are known only once the proxies listen, after the compute API started.
  Object.assign(bound, { novnc: 41001, 'spice-html5': 41002, serial: 41003 });
  t.is(settings.baseUrl('novnc'), 'http://127.0.0.1:41001/vnc_lite.html');
  t.is(settings.baseUrl('spice-html5'), 'http://127.0.0.1:41002/spice_auto.html');
  t.is(settings.baseUrl('serial'), 'ws://127.0.0.1:41003/');
});

test('a configured base URL wins over the bound port', (t) => {
  const c = config({ consoles: { novncBaseUrl: 'https://consoles.example.org/vnc_lite.html' } });
  t.is(consoleBaseUrl(c, 'novnc', { novnc: 41001 }), 'https://consoles.example.org/vnc_lite.html');
});
