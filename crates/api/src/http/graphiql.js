// GraphiQL's page: opens on the example query and sends queries to /graphql. Capitole
// inlines this script in /graphiql, and the page's Content-Security-Policy allows it by
// its hash, computed when Capitole starts.
(function () {
  'use strict';
  // GraphiQL's dialogs add a <style> element of their own, which the page's policy allows
  // by this response's nonce: GraphiQL reads it from this global.
  window.__webpack_nonce__ = document.currentScript.nonce;
  var defaultQuery = `# Welcome to Capitole, the city's graph of news, events and places.
# Press the ▶ button to run this query.
#
# The same public data, without GraphQL (open formats; see docs/open-data.md):
#   news feeds     /feeds/news.atom   /feeds/news.rss
#   the agenda     /feeds/events.ics  (one event: /events/{slug}.ics)
#   on a map       /data/places.geojson   /data/events.geojson
#   tables         /data/places.csv   /data/events.csv   /data/news.csv
#   linked data    /items/{id}.jsonld (or the jsonLd field)
#   the catalogue  /data/catalog.jsonld
# Each takes the list's filter as query parameters: /feeds/events.ics?window=THIS_WEEKEND
#
# Live updates run here too (see docs/live.md), for instance:
#   subscription { eventsChanged { cursor node { change node { ... on Event { title status } } } } }
#
# Languages: change $language below to "en", "es" or "oc" (texts not translated yet stay
# in French; titleLanguage says which you got), or send Accept-Language in the Headers tab.
query CityHome($language: String = "fr") {
  upcoming: events(first: 5) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      occurrence { startsAt localStartsAt }
      node {
        title(language: $language) titleLanguage(language: $language)
        isFree publishers { name } venue { name(language: $language) location { latitude longitude } }
      }
    }
  }
  nearCapitole: places(first: 5, filter: { near: { latitude: 43.6045, longitude: 1.4440, radiusMeters: 1000 } }, orderBy: DISTANCE) {
    edges { distanceMeters node { name(language: $language) categories { name } isOpenNow } }
  }
  news(first: 5) {
    nodes { title summary publishedAt publishers { name } categories { name } }
  }
}
`;
  // Subscriptions go over WebSocket (graphql-transport-ws) to this server; the headers of
  // GraphiQL's Headers tab (an Authorization header, say) are sent in connection_init.
  var live = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
  // Lower-case header names: createFetcher merges them over its own defaults.
  var fetcher = GraphiQL.createFetcher({
    url: '/graphql',
    subscriptionUrl: live,
    enableIncrementalDelivery: false,
    headers: {
      'content-type': 'application/json',
      'accept': 'application/graphql-response+json, application/json'
    }
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery })
  );
})();
