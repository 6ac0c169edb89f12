//! The news as Atom and RSS feeds, read back with the formats' own crates and with an
//! independent reader (feed-rs): the same articles as the graph's `news` list for the same
//! filter, never a draft or a scheduled article, bodies a feed reader may show as they are,
//! covers as enclosures, the licence, revalidation and explained errors.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use capitole_domain::access::Role;
use capitole_persistence::entities::article;
use capitole_persistence::sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use super::accounts::{access_of, create, run};
use super::{TestApp, apps};

const CREATE: &str =
    "mutation($input: ArticleInput!) { createArticle(input: $input) { article { id } } }";

/// A GET of `uri` with these headers: status, headers and body bytes.
async fn get(
    app: &TestApp,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    use tower::ServiceExt;
    let mut request = Request::builder().uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

/// The Atom feed at `uri`, checked to be one, with its body read by feed-rs as well.
async fn atom_at(app: &TestApp, uri: &str) -> (atom_syndication::Feed, feed_rs::model::Feed) {
    let (status, headers, body) = get(app, uri, &[]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/atom+xml; charset=utf-8"
    );
    let feed = atom_syndication::Feed::read_from(&body[..]).unwrap();
    let independent = feed_rs::parser::parse(&body[..]).unwrap();
    assert_eq!(independent.feed_type, feed_rs::model::FeedType::Atom);
    (feed, independent)
}

/// The RSS feed at `uri`, checked to be one, with its body read by feed-rs as well.
async fn rss_at(app: &TestApp, uri: &str) -> (rss::Channel, feed_rs::model::Feed) {
    let (status, headers, body) = get(app, uri, &[]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/rss+xml; charset=utf-8"
    );
    let channel = rss::Channel::read_from(&body[..]).unwrap();
    let independent = feed_rs::parser::parse(&body[..]).unwrap();
    assert_eq!(independent.feed_type, feed_rs::model::FeedType::RSS2);
    (channel, independent)
}

/// The global id an entry id (`…/items/{id}.jsonld`) stands for.
fn global_id(entry_id: &str) -> String {
    entry_id
        .rsplit('/')
        .next()
        .and_then(|last| last.strip_suffix(".jsonld"))
        .unwrap_or_else(|| panic!("not an item address: {entry_id}"))
        .to_owned()
}

/// (global id, title) of the graph's `news` list for this filter, anonymously.
async fn graph_news(app: &TestApp, first: usize, filter: Value) -> Vec<(String, String)> {
    let (_, body) = run(
        app,
        None,
        "query($n: Int!, $f: NewsFilter) { news(first: $n, filter: $f) { nodes { id title } } }",
        json!({ "n": first, "f": filter }),
    )
    .await;
    body["data"]["news"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_owned(),
                n["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Asserts that every reading of both feeds at `query` lists exactly `expected`, in order.
async fn assert_feeds_list(app: &TestApp, query: &str, expected: &[(String, String)]) {
    let label = &app.test_db.label;
    let (atom, atom_again) = atom_at(app, &format!("/feeds/news.atom{query}")).await;
    let (rss, rss_again) = rss_at(app, &format!("/feeds/news.rss{query}")).await;
    let from_atom: Vec<(String, String)> = atom
        .entries
        .iter()
        .map(|e| (global_id(&e.id), e.title.value.clone()))
        .collect();
    let from_rss: Vec<(String, String)> = rss
        .items
        .iter()
        .map(|i| {
            (
                global_id(&i.guid.as_ref().unwrap().value),
                i.title.clone().unwrap(),
            )
        })
        .collect();
    let independent = |feed: &feed_rs::model::Feed| -> Vec<(String, String)> {
        feed.entries
            .iter()
            .map(|e| (global_id(&e.id), e.title.as_ref().unwrap().content.clone()))
            .collect()
    };
    assert_eq!(from_atom, expected, "{label}: Atom {query}");
    assert_eq!(from_rss, expected, "{label}: RSS {query}");
    assert_eq!(
        independent(&atom_again),
        expected,
        "{label}: feed-rs Atom {query}"
    );
    assert_eq!(
        independent(&rss_again),
        expected,
        "{label}: feed-rs RSS {query}"
    );
}

/// Articles of the Ville de Toulouse for the feeds to show or hide: a draft, one scheduled
/// for later, and a published one whose body tries scripts and handlers and whose cover is
/// a PNG. Returns the published one's global id.
async fn articles(app: &TestApp) -> String {
    create(
        app,
        "redaction@example.org",
        Role::Editor,
        &["ville-de-toulouse"],
    )
    .await;
    let editor = access_of(app, "redaction@example.org").await;
    let write = |input: Value| {
        let editor = editor.clone();
        async move {
            let (_, body) = run(app, Some(&editor), CREATE, json!({ "input": input })).await;
            body["data"]["createArticle"]["article"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_owned()
        }
    };
    write(json!({ "title": "Brouillon confidentiel", "summary": "Pas encore." })).await;
    let scheduled = write(json!({ "title": "Annonce à venir", "summary": "Plus tard." })).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let (_, body) = run(
        app,
        Some(&editor),
        "mutation($id: ID!, $at: DateTime!) { scheduleArticle(id: $id, version: 1, publishAt: $at) { article { status } } }",
        json!({ "id": scheduled, "at": at }),
    )
    .await;
    assert_eq!(
        body["data"]["scheduleArticle"]["article"]["status"], "SCHEDULED",
        "{body}"
    );
    let published = write(json!({
        "title": "Concert de jazz au Capitole",
        "summary": "Un concert gratuit sur la place.",
        "body": "# Jazz\n\nVenez <b onclick=\"steal()\">nombreux</b>.<script>alert('x')</script>\n\n<style>body { display: none }</style>\n\n[Programme](https://www.toulouse.fr/jazz)",
        "coverImage": { "url": "https://www.toulouse.fr/images/jazz-capitole.png", "alt": "La scène sur la place du Capitole" },
        "tags": ["jazz"],
        "audiences": ["FAMILIES"],
        "categories": ["news-festivities"],
    }))
    .await;
    let (_, body) = run(
        app,
        Some(&editor),
        "mutation($id: ID!) { publishArticle(id: $id, version: 1) { article { status } } }",
        json!({ "id": published }),
    )
    .await;
    assert_eq!(
        body["data"]["publishArticle"]["article"]["status"], "PUBLISHED",
        "{body}"
    );
    // Feeds are judged at the start of the current minute (what is published is shown to
    // every reader of that minute alike): this article came out a few minutes ago.
    use base64::Engine;
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&published)
        .unwrap();
    let uuid = String::from_utf8(decoded).unwrap();
    let uuid = uuid::Uuid::parse_str(uuid.strip_prefix("NewsArticle:").unwrap()).unwrap();
    let mut row: article::ActiveModel = article::Entity::find_by_id(uuid)
        .one(app.db.connection())
        .await
        .unwrap()
        .unwrap()
        .into();
    row.published_at = Set(Some(chrono::Utc::now() - chrono::Duration::minutes(3)));
    row.update(app.db.connection()).await.unwrap();
    published
}

#[tokio::test]
async fn news_feeds_list_what_the_graph_lists_and_never_a_draft_or_a_scheduled_article() {
    for app in apps().await {
        let label = &app.test_db.label;
        let published = articles(&app).await;
        let expected = graph_news(&app, 50, Value::Null).await;
        assert!(expected.len() > 5, "{label}: {expected:?}");
        assert_eq!(expected[0].0, published, "{label}: the latest comes first");
        assert_feeds_list(&app, "", &expected).await;

        let (atom, independent_atom) = atom_at(&app, "/feeds/news.atom").await;
        let (rss, independent_rss) = rss_at(&app, "/feeds/news.rss").await;
        let atom_xml = String::from_utf8(get(&app, "/feeds/news.atom", &[]).await.2).unwrap();
        let rss_xml = String::from_utf8(get(&app, "/feeds/news.rss", &[]).await.2).unwrap();
        for (format, xml) in [("Atom", &atom_xml), ("RSS", &rss_xml)] {
            for hidden in ["Brouillon confidentiel", "Annonce à venir"] {
                assert!(!xml.contains(hidden), "{label}: {format} shows {hidden}");
            }
            // The demo city's own scheduled article does not show either.
            assert!(
                !xml.contains("fete-des-lumieres-programme"),
                "{label}: {format}"
            );
        }

        // The feed: its addresses, its generator, its licence.
        let licence = capitole_api::Licence::default();
        assert_eq!(atom.title.value, "Capitole: news", "{label}");
        let self_link = atom.links.iter().find(|l| l.rel == "self").unwrap();
        assert!(
            self_link.href.starts_with("http://") && self_link.href.ends_with("/feeds/news.atom"),
            "{}",
            self_link.href
        );
        assert_eq!(atom.id, self_link.href);
        assert_eq!(atom.generator.as_ref().unwrap().value, "Capitole");
        assert_eq!(atom.rights.as_ref().unwrap().value, licence.name);
        let licence_link = atom.links.iter().find(|l| l.rel == "license").unwrap();
        assert_eq!(licence_link.href, licence.url.as_str());
        assert_eq!(
            atom.updated,
            atom.entries.iter().map(|e| e.updated).max().unwrap()
        );
        assert!(
            rss.copyright.as_ref().unwrap().contains(&licence.name),
            "{label}"
        );
        assert_eq!(rss.generator.as_deref(), Some("Capitole"));
        let rss_links = rss.atom_ext.as_ref().unwrap().links();
        assert!(
            rss_links
                .iter()
                .any(|l| l.rel == "self" && l.href.ends_with("/feeds/news.rss")),
            "{label}: {rss_links:?}"
        );
        assert_eq!(
            independent_atom.rights.as_ref().unwrap().content,
            licence.name
        );

        // The published article's entry, in Atom.
        let entry = &atom.entries[0];
        assert_eq!(entry.title.value, "Concert de jazz au Capitole");
        assert_eq!(
            entry.summary.as_ref().unwrap().value,
            "Un concert gratuit sur la place."
        );
        let authors: Vec<&str> = entry.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(authors, ["Ville de Toulouse"], "{label}");
        let content = entry.content.as_ref().unwrap();
        assert_eq!(content.content_type.as_deref(), Some("html"));
        let html = content.value.as_deref().unwrap();
        assert!(html.contains("<h1>Jazz</h1>"), "{label}: {html}");
        assert!(
            html.contains("href=\"https://www.toulouse.fr/jazz\""),
            "{html}"
        );
        for unsafe_part in [
            "<script",
            "alert(",
            "onclick",
            "steal()",
            "<style",
            "display: none",
        ] {
            assert!(
                !html.contains(unsafe_part),
                "{label}: {unsafe_part} in {html}"
            );
        }
        let terms: Vec<(&str, Option<&str>)> = entry
            .categories
            .iter()
            .map(|c| (c.term.as_str(), c.label.as_deref()))
            .collect();
        assert!(
            terms
                .iter()
                .any(|(term, label)| *term == "news-festivities" && label.is_some()),
            "{label}: {terms:?}"
        );
        assert!(terms.iter().any(|(term, _)| *term == "jazz"), "{terms:?}");
        let enclosure = entry.links.iter().find(|l| l.rel == "enclosure").unwrap();
        assert_eq!(
            enclosure.href,
            "https://www.toulouse.fr/images/jazz-capitole.png"
        );
        assert_eq!(enclosure.mime_type.as_deref(), Some("image/png"));
        let alternate = entry.links.iter().find(|l| l.rel == "alternate").unwrap();
        assert!(
            alternate
                .href
                .ends_with(&format!("/items/{published}.jsonld"))
        );
        assert!(entry.published.is_some());
        assert!(entry.updated >= entry.published.unwrap());

        // The same article in RSS.
        let item = &rss.items[0];
        let guid = item.guid.as_ref().unwrap();
        assert!(!guid.permalink, "{label}: guid is not a permalink");
        assert_eq!(guid.value, entry.id);
        let pub_date =
            chrono::DateTime::parse_from_rfc2822(item.pub_date.as_deref().unwrap()).unwrap();
        assert_eq!(pub_date.timestamp(), entry.published.unwrap().timestamp());
        let cover = item.enclosure.as_ref().unwrap();
        assert_eq!(
            cover.url,
            "https://www.toulouse.fr/images/jazz-capitole.png"
        );
        assert_eq!(cover.mime_type, "image/png");
        assert_eq!(cover.length, "0");
        let rss_html = item.content.as_deref().unwrap();
        assert!(rss_html.contains("<h1>Jazz</h1>"), "{rss_html}");
        assert!(!rss_html.contains("<script") && !rss_html.contains("onclick"));
        assert_eq!(
            item.dublin_core_ext.as_ref().unwrap().creators,
            ["Ville de Toulouse"]
        );
        assert!(item.categories.iter().any(|c| c.name == "jazz"));

        // What an independent reader makes of them.
        for (format, feed) in [("Atom", &independent_atom), ("RSS", &independent_rss)] {
            let entry = &feed.entries[0];
            let body = entry.content.as_ref().unwrap().body.as_deref().unwrap();
            assert!(
                body.contains("Jazz") && !body.contains("<script"),
                "{format}: {body}"
            );
            let authors: Vec<&str> = entry
                .authors
                .iter()
                .map(|a| a.name.as_deref().unwrap_or_default())
                .collect();
            assert_eq!(authors, ["Ville de Toulouse"], "{label}: {format}");
            assert!(entry.published.is_some(), "{format}");
        }
        assert!(
            independent_rss.entries[0]
                .media
                .iter()
                .flat_map(|m| &m.content)
                .any(|c| c
                    .url
                    .as_ref()
                    .is_some_and(|u| u.as_str().ends_with("jazz-capitole.png"))),
            "{label}: RSS enclosure"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn news_feeds_take_the_news_filter_as_parameters() {
    for app in apps().await {
        let label = &app.test_db.label;
        let everything = graph_news(&app, 100, Value::Null).await;
        let filters = [
            (
                "?organization=toulouse-metropole",
                json!({ "publishers": ["toulouse-metropole"] }),
            ),
            (
                "?audience=families&limit=4",
                json!({ "audiences": ["FAMILIES"] }),
            ),
            ("?tag=noel", json!({ "tags": ["noel"] })),
            (
                "?category=news-festivities",
                json!({ "categories": ["news-festivities"] }),
            ),
            (
                "?audiences=seniors,youth&publisher=ville-de-toulouse",
                json!({ "audiences": ["SENIORS", "YOUTH"], "publishers": ["ville-de-toulouse"] }),
            ),
        ];
        for (query, filter) in filters {
            let limit = if query.contains("limit=4") { 4 } else { 50 };
            let expected = graph_news(&app, limit, filter).await;
            assert!(!expected.is_empty(), "{label}: {query} selects nothing");
            assert!(
                expected.len() < everything.len().min(50),
                "{label}: {query} does not narrow the news"
            );
            assert_feeds_list(&app, query, &expected).await;
        }
        // The title names the scope; the self link keeps the query.
        let (atom, _) = atom_at(
            &app,
            "/feeds/news.atom?organization=toulouse-metropole&audience=families",
        )
        .await;
        assert!(
            atom.title.value.starts_with("Toulouse Métropole: news")
                && atom.title.value.contains("families"),
            "{label}: {}",
            atom.title.value
        );
        assert!(
            atom.id
                .ends_with("/feeds/news.atom?organization=toulouse-metropole&audience=families")
        );
        let (rss, _) = rss_at(&app, "/feeds/news.rss?limit=3").await;
        assert_eq!(rss.items.len(), 3);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn news_feeds_revalidate_and_explain_bad_parameters() {
    for app in apps().await {
        let label = &app.test_db.label;
        for path in ["/feeds/news.atom", "/feeds/news.rss"] {
            super::clear_of_the_minute_turn().await;
            let (status, headers, _) = get(&app, path, &[]).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=60");
            let etag = headers[header::ETAG].to_str().unwrap().to_owned();
            let (status, again, body) = get(&app, path, &[("if-none-match", &etag)]).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{label}: {path}");
            assert!(body.is_empty());
            assert_eq!(again[header::ETAG], etag.as_str());
            // Another filter is another answer.
            let (status, _, _) = get(
                &app,
                &format!("{path}?tag=noel"),
                &[("if-none-match", &etag)],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{label}: {path}");
        }
        for (query, named) in [
            ("colour=red", "`colour`"),
            ("limit=500", "`limit`"),
            ("limit=0", "`limit`"),
            ("after=abc", "`after`"),
            ("organization=atlantis", "atlantis"),
            ("audience=martians", "MARTIANS"),
            ("statuses=draft", "`statuses`"),
        ] {
            for path in ["/feeds/news.atom", "/feeds/news.rss"] {
                let (status, headers, body) = get(&app, &format!("{path}?{query}"), &[]).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {path}?{query}");
                assert_eq!(headers[header::CONTENT_TYPE], "application/json");
                let body: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
                let message = body["errors"][0]["message"].as_str().unwrap();
                assert!(message.contains(named), "{label}: {query}: {message}");
            }
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_news_feed_costs_the_same_number_of_statements_whatever_its_length() {
    for app in apps().await {
        let mut costs = Vec::new();
        for limit in [2, 20, 100] {
            let before = app.db.statement_count();
            let (status, _, _) = get(&app, &format!("/feeds/news.atom?limit={limit}"), &[]).await;
            assert_eq!(status, StatusCode::OK);
            costs.push(app.db.statement_count() - before);
        }
        assert!(
            costs.windows(2).all(|w| w[0] == w[1]),
            "{}: statements per feed length {costs:?}",
            app.test_db.label
        );
        app.test_db.remove().await;
    }
}
