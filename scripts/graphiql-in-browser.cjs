// Drives Capitole's GraphiQL page in a headless Chromium over the DevTools protocol, the
// way a newcomer uses it: the page renders, learns the schema, runs the example query,
// runs a subscription over WebSocket that receives an administrator's edit, and opens the
// settings and short-keys dialogs (which add styles of their own). Every request that
// would leave this machine is blocked, as on a machine without the internet. Any request
// to outside 127.0.0.1, answer of 400 or more, Content-Security-Policy violation,
// integrity failure, error in the console or uncaught exception fails the check.
// scripts/check-graphiql-in-browser.sh starts everything.
//
//   node scripts/graphiql-in-browser.cjs WS_MODULE DEVTOOLS_PORT PAGE_URL
'use strict';

const [wsModule, devtoolsPort, pageUrl] = process.argv.slice(2);
if (!wsModule || !devtoolsPort || !pageUrl) {
  console.error('usage: node graphiql-in-browser.cjs WS_MODULE DEVTOOLS_PORT PAGE_URL');
  process.exit(2);
}
const WebSocket = require(wsModule);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Addresses on this machine, and URLs that fetch nothing (data:, blob:).
const isLocal = (url) => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
};
const problems = [];

// Registered before the page's own scripts run; DevTools scripts are not subject to CSP.
const WATCH_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
      (e.sample ? ' (' + e.sample + ')' : ''));
  });`;

async function main() {
  const target = await (
    await fetch(`http://127.0.0.1:${devtoolsPort}/json/new?about:blank`, { method: 'PUT' })
  ).json();
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let nextId = 0;
  const pending = new Map();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.id !== undefined && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    } else if (message.method === 'Fetch.requestPaused') {
      const { requestId, request } = message.params;
      if (isLocal(request.url)) {
        send('Fetch.continueRequest', { requestId }).catch(() => {});
      } else {
        problems.push(`a request to outside this machine: ${request.url}`);
        send('Fetch.failRequest', { requestId, errorReason: 'BlockedByClient' }).catch(() => {});
      }
    } else if (message.method === 'Network.responseReceived') {
      const { status, url } = message.params.response;
      if (status >= 400) problems.push(`${url} answered ${status}`);
    } else if (message.method === 'Log.entryAdded') {
      const { level, text, source } = message.params.entry;
      if (level === 'error') problems.push(`${source}: ${text}`);
    } else if (message.method === 'Runtime.exceptionThrown') {
      const details = message.params.exceptionDetails;
      problems.push(`uncaught: ${details.exception?.description ?? details.text}`);
    } else if (message.method === 'Runtime.consoleAPICalled' && message.params.type === 'error') {
      problems.push(`console.error: ${message.params.args.map((a) => a.value ?? a.description).join(' ')}`);
    }
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, (message) =>
        message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve(message.result),
      );
      socket.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (expression) => {
    const { result, exceptionDetails } = await send('Runtime.evaluate', {
      expression,
      returnByValue: true,
    });
    if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.text}`);
    return result.value;
  };
  // Waits until `expression` holds; on time-out, `shown` says what the page showed instead.
  const waitFor = async (what, expression, shown = 'document.body.innerText', seconds = 20) => {
    for (let i = 0; i < seconds * 10; i++) {
      if (await evaluate(expression)) return;
      await sleep(100);
    }
    const instead = String(await evaluate(shown)).slice(0, 3000);
    throw new Error(`timed out after ${seconds} s waiting for ${what}; the page shows: ${instead}`);
  };
  const press = async (key, code, keyCode) => {
    for (const type of ['keyDown', 'keyUp']) {
      await send('Input.dispatchKeyEvent', { type, key, code, windowsVirtualKeyCode: keyCode });
    }
  };

  await send('Runtime.enable');
  await send('Log.enable');
  await send('Page.enable');
  await send('Network.enable');
  await send('Fetch.enable', { patterns: [{ urlPattern: '*' }] });
  await send('Page.addScriptToEvaluateOnNewDocument', { source: WATCH_VIOLATIONS });
  await send('Page.navigate', { url: pageUrl });

  await waitFor('GraphiQL to render', `!!document.querySelector('.graphiql-container .graphiql-query-editor')`);
  console.log('rendered GraphiQL');
  // The documentation explorer lists the root types once the introspection query answered.
  await send('Runtime.evaluate', {
    expression: `document.querySelector('[aria-label="Show Documentation Explorer"]')?.click()`,
  });
  await waitFor('the schema', `document.querySelector('.graphiql-doc-explorer')?.innerText.includes('Query') ?? false`);
  console.log('loaded the schema');
  await evaluate(`document.querySelector('.graphiql-execute-button').click()`);
  // The whole response, not only the lines CodeMirror has drawn.
  const response = `document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? ''`;
  await waitFor(
    'the example query to answer',
    `((t) => t.includes('"upcoming"') && !t.includes('"errors"'))(${response})`,
    `'query: ' + (document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror.getValue() ?? '') + ' response: ' + ${response}`,
  );
  console.log('ran the example query');

  // A subscription, from the log's end: an administrator's edit made meanwhile arrives.
  const base = pageUrl.replace(/\/graphiql$/, '');
  const graphql = async (query, token) =>
    (
      await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query }),
      })
    ).json();
  const start = await graphql('{ changeCursor events(first: 1) { nodes { id version } } }');
  const event = start.data.events.nodes[0];
  const subscription = `subscription LiveAgenda { eventsChanged(after: ${JSON.stringify(start.data.changeCursor)}) { cursor node { change node { ... on Event { title } } } } }`;
  await evaluate(
    `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(${JSON.stringify(subscription)})`,
  );
  // GraphiQL reads the operation's name from the editor a moment after it changes.
  await sleep(1000);
  await evaluate(`document.querySelector('.graphiql-execute-button').click()`);
  const login = await graphql(
    `mutation { login(email: ${JSON.stringify(process.env.GRAPHIQL_CHECK_EMAIL)}, password: ${JSON.stringify(process.env.GRAPHIQL_CHECK_PASSWORD)}) { session { accessToken } } }`,
  );
  const token = login.data?.login?.session?.accessToken;
  if (!token) throw new Error(`cannot sign in: ${JSON.stringify(login)}`);
  const title = 'Concert déplacé — vu en direct';
  const edit = await graphql(
    `mutation { updateEvent(id: ${JSON.stringify(event.id)}, version: ${event.version}, patch: { title: ${JSON.stringify(title)} }) { event { version } } }`,
    token,
  );
  if (!edit.data?.updateEvent) throw new Error(`cannot edit the event: ${JSON.stringify(edit)}`);
  await waitFor(
    'the subscription to deliver the edit',
    `((t) => t.includes(${JSON.stringify(title)}) && !t.includes('"errors"'))(${response})`,
    response,
  );
  console.log('received an edit through a subscription over WebSocket');
  // Stopped with the same button.
  await evaluate(`document.querySelector('.graphiql-execute-button').click()`);
  for (const label of ['Open settings dialog', 'Open short keys dialog']) {
    await evaluate(`document.querySelector('[aria-label="${label}"]').click()`);
    await waitFor(`"${label}"`, `!!document.querySelector('[role=dialog]')`);
    await sleep(300);
    await press('Escape', 'Escape', 27);
    await waitFor(`"${label}" to close`, `!document.querySelector('[role=dialog]')`);
    console.log(`opened and closed: ${label}`);
  }
  await sleep(500);
  for (const violation of await evaluate('window.__cspViolations')) {
    problems.push(`Content-Security-Policy: ${violation}`);
  }
  socket.close();
}

main()
  .catch((error) => problems.push(`the check stopped: ${error.message}`))
  .finally(() => {
    if (problems.length > 0) {
      console.error(`GraphiQL in a browser: ${problems.length} problem(s)`);
      for (const problem of problems) console.error(`  - ${problem}`);
      process.exit(1);
    }
    console.log('GraphiQL in a browser: no policy violation, no error');
    process.exit(0);
  });
