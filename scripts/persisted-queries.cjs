// Drives Capitole's automatic persisted queries with Apollo Client's own link
// (`PersistedQueryLink` of `@apollo/client`, `useGETForHashedQueries: true`), the way the
// mobile app does, and fails on any difference from what the app relies on:
//
// 1. a first query sends only its hash, over GET; Capitole does not know it and answers
//    PERSISTED_QUERY_NOT_FOUND (never cacheable); the link sends the document with its hash
//    over POST, which runs it and registers it;
// 2. the same query from a fresh client (so the link knows nothing) is then one GET by hash
//    that runs the registered document, publicly cacheable, with an ETag;
// 3. the same again for a client that accepts only `application/json` (where the miss is a
//    200 with the error rather than a 400).
//
// Every request the link makes is recorded from the `fetch` it is given.
// scripts/check-persisted-queries.sh installs the packages and starts the server.
//
//   node scripts/persisted-queries.cjs NODE_MODULES URL
'use strict';

const crypto = require('node:crypto');
const path = require('node:path');
const { createRequire } = require('node:module');

const [modules, url] = process.argv.slice(2);
if (!modules || !url) {
  console.error('usage: node persisted-queries.cjs NODE_MODULES URL');
  process.exit(2);
}
// Resolved from the install folder, through each package's own `exports`.
const load = createRequire(path.join(modules, '..', 'package.json'));
const { ApolloClient, InMemoryCache, HttpLink, gql } = load('@apollo/client');
const { PersistedQueryLink } = load('@apollo/client/link/persisted-queries');

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

function fail(message, log) {
  console.error(`error: ${message}`);
  for (const entry of log || []) console.error(`  ${JSON.stringify(entry)}`);
  process.exit(1);
}

// A client whose requests are recorded in `log`.
function client(log, headers) {
  const recording = async (input, init) => {
    const response = await fetch(input, init);
    const text = await response.clone().text();
    const target = new URL(String(input));
    let body = null;
    try {
      body = init && init.body ? JSON.parse(init.body) : null;
    } catch {
      body = init.body;
    }
    log.push({
      method: (init && init.method) || 'GET',
      query: target.searchParams.get('query') ?? body?.query ?? null,
      extensions: target.searchParams.get('extensions') ?? body?.extensions ?? null,
      status: response.status,
      cacheControl: response.headers.get('cache-control'),
      etag: response.headers.get('etag'),
      answer: text.slice(0, 200),
    });
    return response;
  };
  const persisted = new PersistedQueryLink({ sha256, useGETForHashedQueries: true });
  return new ApolloClient({
    link: persisted.concat(new HttpLink({ uri: url, fetch: recording, headers })),
    cache: new InMemoryCache(),
  });
}

async function flow(label, headers, missStatus) {
  // A document of this run's own, so that no earlier run registered it.
  const name = `CityOrganizations${label}${Date.now()}`;
  const query = gql(`query ${name} { organizations { name } }`);

  const first = [];
  const result = await client(first, headers).query({ query, fetchPolicy: 'network-only' });
  if (result.error) fail(`${label}: the first query failed: ${result.error}`, first);
  if (!Array.isArray(result.data?.organizations) || result.data.organizations.length === 0) {
    fail(`${label}: the first query has no organizations`, first);
  }
  const [miss, registration, ...rest] = first;
  if (!miss || !registration || rest.length > 0) {
    fail(`${label}: expected a miss then a registration, got ${first.length} requests`, first);
  }
  if (miss.method !== 'GET' || miss.query !== null || miss.status !== missStatus) {
    fail(`${label}: the first request is not a GET by hash answered ${missStatus}`, first);
  }
  if (!miss.answer.includes('PERSISTED_QUERY_NOT_FOUND') || miss.cacheControl !== 'no-store') {
    fail(`${label}: the miss is not PERSISTED_QUERY_NOT_FOUND with no-store`, first);
  }
  if (registration.method !== 'POST' || !registration.query || registration.status !== 200) {
    fail(`${label}: the retry does not POST the document`, first);
  }
  if (registration.extensions?.persistedQuery?.sha256Hash !== sha256(registration.query)) {
    fail(`${label}: the retry does not carry the document's hash`, first);
  }

  const second = [];
  const again = await client(second, headers).query({ query, fetchPolicy: 'network-only' });
  if (again.error) fail(`${label}: the query by hash failed: ${again.error}`, second);
  if (JSON.stringify(again.data) !== JSON.stringify(result.data)) {
    fail(`${label}: the query by hash answers other data`, second);
  }
  const [hit, ...more] = second;
  if (!hit || more.length > 0 || hit.method !== 'GET' || hit.query !== null || hit.status !== 200) {
    fail(`${label}: the second client does not get its answer from one GET by hash`, second);
  }
  if (!/^public, max-age=\d+$/.test(hit.cacheControl || '') || !hit.etag) {
    fail(`${label}: the answer by hash is not publicly cacheable with an ETag`, second);
  }
  console.log(`${label}: miss (${miss.status}), registration (POST), then a GET by hash: ${hit.cacheControl}`);
}

(async () => {
  await flow('GraphqlResponse', undefined, 400);
  await flow('Json', { accept: 'application/json' }, 200);
  console.log('Apollo Client persisted queries: ok');
})().catch((error) => fail(error.stack || String(error)));
