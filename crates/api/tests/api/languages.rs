//! Texts in the reader's language, on both databases: editors translate articles, events and
//! places, readers choose with `Accept-Language` (quality values honoured) or `language:`,
//! each text falls back to the city's language and says which it is in, a translation goes
//! stale when its original changes, and the response cache keeps languages apart.

use axum::http::{HeaderName, StatusCode, header};
use capitole_domain::access::Role;
use serde_json::{Value, json};

use super::accounts::{access_of, city_editor, create, metropole_editor, run};
use super::caching::get;
use super::{TestApp, apps, code, send};

const SET: &str = "mutation($id: ID!, $v: Int!, $lang: String!, $texts: TranslationInput!) { setTranslation(itemId: $id, version: $v, language: $lang, texts: $texts) { place { version } event { version } } }";

const PLACE: &str = "query($id: ID!) { node(id: $id) { ... on Place { id slug name nameLanguage description descriptionLanguage location { latitude longitude } accessibility } } }";

fn library() -> Value {
    json!({
        "name": "Bibliothèque des Izards",
        "description": "Une bibliothèque de quartier.",
        "location": { "latitude": 43.63, "longitude": 1.43, "address": "Rue des Izards", "postalCode": "31200", "city": "Toulouse" },
        "categories": ["library"],
        "accessibility": ["MOTOR"],
        "publishers": ["ville-de-toulouse"]
    })
}

/// The library of `library()`, made by `editor`; returns its id.
async fn create_library(app: &TestApp, editor: &str) -> String {
    let (_, made) = run(
        app,
        Some(editor),
        "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id } } }",
        json!({ "input": library() }),
    )
    .await;
    made["data"]["createPlace"]["place"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: {made}", app.test_db.label))
        .to_owned()
}

/// The place `id` read over GET with these headers.
async fn read(app: &TestApp, id: &str, headers: &[(HeaderName, &str)]) -> Value {
    let variables = json!({ "id": id }).to_string();
    let (status, _, body) = send(
        &app.router,
        get(&[("query", PLACE), ("variables", &variables)], headers),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["node"].clone()
}

fn accept(value: &str) -> [(HeaderName, &str); 1] {
    [(header::ACCEPT_LANGUAGE, value)]
}

#[tokio::test]
async fn readers_get_texts_in_their_language_along_one_fallback_chain() {
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let id = create_library(&app, &editor).await;

        // Nothing translated yet: every language gets the original, in French.
        let french = read(&app, &id, &[]).await;
        assert_eq!(french["name"], "Bibliothèque des Izards", "{label}");
        assert_eq!(french["nameLanguage"], "fr", "{label}");
        assert_eq!(read(&app, &id, &accept("en")).await, french, "{label}");

        // Translating is the item's editors' (and needs the version read).
        let texts = json!({ "name": "Izards Library", "description": "A neighbourhood library." });
        let variables = json!({ "id": id, "v": 1, "lang": "en", "texts": texts });
        let (_, anonymous) = run(&app, None, SET, variables.clone()).await;
        assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{label}");
        let other = metropole_editor(&app).await;
        let (_, forbidden) = run(&app, Some(&other), SET, variables.clone()).await;
        assert_eq!(code(&forbidden), "FORBIDDEN", "{label}: {forbidden}");
        for (lang, texts) in [
            ("fr", json!({ "name": "Bibliothèque" })),
            ("de", json!({ "name": "Bibliothek" })),
            ("en", json!({ "title": "Library" })),
            ("en", json!({ "name": "" })),
        ] {
            let (_, refused) = run(
                &app,
                Some(&editor),
                SET,
                json!({ "id": id, "v": 1, "lang": lang, "texts": texts }),
            )
            .await;
            assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
        }
        let (_, stale_version) = run(
            &app,
            Some(&editor),
            SET,
            json!({ "id": id, "v": 7, "lang": "en", "texts": texts }),
        )
        .await;
        assert_eq!(code(&stale_version), "CONFLICT", "{label}: {stale_version}");
        let (_, set) = run(&app, Some(&editor), SET, variables).await;
        assert_eq!(
            set["data"]["setTranslation"]["place"]["version"], 2,
            "{label}: {set}"
        );

        // Quality values decide; regions do not matter; the same query in fr and en differs
        // only in its texts and their languages.
        let english = read(&app, &id, &accept("de-DE, en-GB;q=0.8, fr;q=0.5")).await;
        assert_eq!(english["name"], "Izards Library", "{label}");
        assert_eq!(english["nameLanguage"], "en", "{label}");
        assert_eq!(
            english["description"], "A neighbourhood library.",
            "{label}"
        );
        let french = read(&app, &id, &accept("fr, en;q=0.9")).await;
        assert_eq!(french["name"], "Bibliothèque des Izards", "{label}");
        let strip = |mut v: Value| {
            for field in ["name", "nameLanguage", "description", "descriptionLanguage"] {
                v[field] = Value::Null;
            }
            v
        };
        assert_eq!(strip(english.clone()), strip(french.clone()), "{label}");

        // Spanish is not written: the city's language comes next, before any other.
        let spanish = read(&app, &id, &accept("es, en;q=0.5")).await;
        assert_eq!(spanish["name"], "Bibliothèque des Izards", "{label}");
        assert_eq!(spanish["nameLanguage"], "fr", "{label}");

        // The field's argument wins over the header; an unknown language is refused.
        let (_, argued) = run(
            &app,
            None,
            "query($id: ID!) { node(id: $id) { ... on Place { name(language: \"en\") nameLanguage(language: \"en\") } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(argued["data"]["node"]["name"], "Izards Library", "{label}");
        let (_, unknown) = run(
            &app,
            None,
            "query($id: ID!) { node(id: $id) { ... on Place { name(language: \"de\") } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(code(&unknown), "BAD_USER_INPUT", "{label}: {unknown}");

        // The original changes: its translation is stale, still given; the other is not.
        let translations = "query($id: ID!) { node(id: $id) { ... on Place { translations { language field text stale } } } }";
        run(
            &app,
            Some(&editor),
            "mutation($id: ID!) { updatePlace(id: $id, version: 2, patch: { description: \"Une bibliothèque de quartier, rénovée.\" }) { place { version } } }",
            json!({ "id": id }),
        )
        .await;
        let (_, listed) = run(&app, None, translations, json!({ "id": id })).await;
        assert_eq!(
            listed["data"]["node"]["translations"],
            json!([
                { "language": "en", "field": "DESCRIPTION", "text": "A neighbourhood library.", "stale": true },
                { "language": "en", "field": "NAME", "text": "Izards Library", "stale": false }
            ]),
            "{label}: {listed}"
        );
        assert_eq!(
            read(&app, &id, &accept("en")).await["description"],
            "A neighbourhood library.",
            "{label}"
        );

        // Written again, it is fresh; removed, the reader gets the original.
        run(
            &app,
            Some(&editor),
            SET,
            json!({ "id": id, "v": 3, "lang": "en", "texts": { "description": "A renovated neighbourhood library." } }),
        )
        .await;
        let (_, listed) = run(&app, None, translations, json!({ "id": id })).await;
        assert_eq!(
            listed["data"]["node"]["translations"][0]["stale"], false,
            "{label}: {listed}"
        );
        run(
            &app,
            Some(&editor),
            SET,
            json!({ "id": id, "v": 4, "lang": "en", "texts": { "name": null } }),
        )
        .await;
        let english = read(&app, &id, &accept("en")).await;
        assert_eq!(english["name"], "Bibliothèque des Izards", "{label}");
        assert_eq!(english["nameLanguage"], "fr", "{label}");
        assert_eq!(
            english["description"], "A renovated neighbourhood library.",
            "{label}"
        );
    }
}

#[tokio::test]
async fn events_are_translated_and_the_cache_keeps_languages_apart() {
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let starts = (chrono::Utc::now() + chrono::Duration::days(4)).to_rfc3339();
        let ends = (chrono::Utc::now() + chrono::Duration::days(4) + chrono::Duration::hours(2))
            .to_rfc3339();
        let (_, made) = run(
            &app,
            Some(&editor),
            "mutation($input: EventInput!) { createEvent(input: $input) { event { id slug } } }",
            json!({ "input": {
                "title": "Bal occitan",
                "summary": "Un bal traditionnel.",
                "publishers": ["ville-de-toulouse"],
                "categories": ["event-concert"],
                "locationText": "Place Saint-Pierre",
                "occurrences": [{ "startsAt": starts, "endsAt": ends }]
            } }),
        )
        .await;
        let event = &made["data"]["createEvent"]["event"];
        let (id, slug) = (
            event["id"].as_str().unwrap(),
            event["slug"].as_str().unwrap(),
        );
        let (_, set) = run(
            &app,
            Some(&editor),
            SET,
            json!({ "id": id, "v": 1, "lang": "oc", "texts": { "title": "Bal occitan de Sant Pèire", "summary": "Un bal tradicional." } }),
        )
        .await;
        assert_eq!(
            set["data"]["setTranslation"]["event"]["version"], 2,
            "{label}: {set}"
        );
        let query =
            format!("{{ event(slug: \"{slug}\") {{ title titleLanguage summary version }} }}");
        // Twice each, so that the second answers come from the response cache.
        for _ in 0..2 {
            for (language, title) in [
                ("oc", "Bal occitan de Sant Pèire"),
                ("fr", "Bal occitan"),
                ("en", "Bal occitan"),
            ] {
                let (_, headers, body) =
                    send(&app.router, get(&[("query", &query)], &accept(language))).await;
                assert_eq!(body["data"]["event"]["title"], title, "{label}: {language}");
                let vary = headers[header::VARY].to_str().unwrap();
                assert!(vary.contains("Accept-Language"), "{label}: {vary}");
            }
        }
    }
}

#[tokio::test]
async fn articles_are_translated_by_their_editors_and_read_in_the_readers_language() {
    const ARTICLE: &str = "query($s: String!) { newsArticle(slug: $s) { title titleLanguage summary summaryLanguage body(format: PLAIN) bodyLanguage translations { language field stale } } }";
    const SET_ARTICLE: &str = "mutation($id: ID!, $v: Int!, $lang: String!, $texts: TranslationInput!) { setTranslation(itemId: $id, version: $v, language: $lang, texts: $texts) { newsArticle { version titleLanguage(language: \"en\") } } }";
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let (_, made) = run(
            &app,
            Some(&editor),
            "mutation($input: ArticleInput!) { createArticle(input: $input) { article { id slug version } } }",
            json!({ "input": { "title": "Les berges de la Garonne", "summary": "Une promenade rénovée.", "body": "Les **berges** rouvrent." } }),
        )
        .await;
        let article = &made["data"]["createArticle"]["article"];
        let (id, slug) = (
            article["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{label}: {made}")),
            article["slug"].as_str().unwrap(),
        );

        // An article has no name; its body is translated.
        let (_, refused) = run(
            &app,
            Some(&editor),
            SET_ARTICLE,
            json!({ "id": id, "v": 1, "lang": "en", "texts": { "name": "Garonne" } }),
        )
        .await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
        assert_eq!(
            refused["errors"][0]["extensions"]["fields"][0]["field"], "name",
            "{label}"
        );
        let (_, set) = run(
            &app,
            Some(&editor),
            SET_ARTICLE,
            json!({ "id": id, "v": 1, "lang": "en", "texts": { "title": "The banks of the Garonne", "body": "The **banks** reopen." } }),
        )
        .await;
        assert_eq!(
            set["data"]["setTranslation"]["newsArticle"],
            json!({ "version": 2, "titleLanguage": "en" }),
            "{label}: {set}"
        );

        // A draft's translation is not public; once published, readers get it.
        let (_, hidden) = run(&app, None, ARTICLE, json!({ "s": slug })).await;
        assert_eq!(hidden["data"]["newsArticle"], Value::Null, "{label}");
        let (_, published) = run(
            &app,
            Some(&editor),
            "mutation($id: ID!) { publishArticle(id: $id, version: 2) { article { version } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            published["data"]["publishArticle"]["article"]["version"], 3,
            "{label}: {published}"
        );
        let variables = json!({ "s": slug }).to_string();
        let (_, _, english) = send(
            &app.router,
            get(
                &[("query", ARTICLE), ("variables", &variables)],
                &accept("en-GB, fr;q=0.5"),
            ),
        )
        .await;
        assert_eq!(
            english["data"]["newsArticle"],
            json!({
                "title": "The banks of the Garonne", "titleLanguage": "en",
                "summary": "Une promenade rénovée.", "summaryLanguage": "fr",
                "body": "The banks reopen.", "bodyLanguage": "en",
                "translations": [
                    { "language": "en", "field": "BODY", "stale": false },
                    { "language": "en", "field": "TITLE", "stale": false }
                ]
            }),
            "{label}: {english}"
        );

        // The original body changes: its translation is stale, the title's is not.
        let (_, updated) = run(
            &app,
            Some(&editor),
            "mutation($id: ID!, $patch: ArticlePatch!) { updateArticle(id: $id, version: 3, patch: $patch) { article { version } } }",
            json!({ "id": id, "patch": { "body": "Les berges rouvrent au printemps." } }),
        )
        .await;
        assert!(updated["errors"].is_null(), "{label}: {updated}");
        let (_, _, after) = send(
            &app.router,
            get(
                &[("query", ARTICLE), ("variables", &variables)],
                &accept("en"),
            ),
        )
        .await;
        assert_eq!(
            after["data"]["newsArticle"]["translations"],
            json!([
                { "language": "en", "field": "BODY", "stale": true },
                { "language": "en", "field": "TITLE", "stale": false }
            ]),
            "{label}: {after}"
        );
    }
}

#[tokio::test]
async fn administrators_translate_the_names_of_categories_and_neighbourhoods() {
    const SET_NAME: &str = "mutation($id: ID!, $lang: String!, $name: String) { setCatalogTranslation(id: $id, language: $lang, name: $name) { category { name(language: \"en\") nameLanguage(language: \"en\") } neighborhood { name(language: \"en\") } } }";
    const NAMES: &str = "{ categories(kind: PLACE) { id slug name nameLanguage } neighborhoods { id slug name nameLanguage } }";
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        let admin = access_of(&app, "admin@example.org").await;
        let (_, before) = run(&app, None, NAMES, json!({})).await;
        let find = |body: &Value, list: &str, slug: &str| {
            body["data"][list]
                .as_array()
                .and_then(|all| all.iter().find(|c| c["slug"] == slug))
                .cloned()
                .unwrap_or_else(|| panic!("{label}: no {slug} in {body}"))
        };
        let library = find(&before, "categories", "library")["id"].clone();
        let ramier = find(&before, "neighborhoods", "ile-du-ramier")["id"].clone();

        // Editors do not keep these lists; names are checked; the city's language is the
        // originals'.
        let english = json!({ "id": library, "lang": "en", "name": "Library" });
        let (_, forbidden) = run(&app, Some(&editor), SET_NAME, english.clone()).await;
        assert_eq!(code(&forbidden), "FORBIDDEN", "{label}: {forbidden}");
        for (lang, name) in [("en", "Two\nlines"), ("fr", "Bibliothèque")] {
            let (_, refused) = run(
                &app,
                Some(&admin),
                SET_NAME,
                json!({ "id": library, "lang": lang, "name": name }),
            )
            .await;
            assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
        }

        let (_, set) = run(&app, Some(&admin), SET_NAME, english).await;
        assert_eq!(
            set["data"]["setCatalogTranslation"]["category"],
            json!({ "name": "Library", "nameLanguage": "en" }),
            "{label}: {set}"
        );
        let (_, set) = run(
            &app,
            Some(&admin),
            SET_NAME,
            json!({ "id": ramier, "lang": "en", "name": "Ramier Island" }),
        )
        .await;
        assert_eq!(
            set["data"]["setCatalogTranslation"]["neighborhood"]["name"], "Ramier Island",
            "{label}: {set}"
        );

        // Readers asking for English get it where it exists, the original elsewhere.
        let (_, _, read) = send(
            &app.router,
            get(&[("query", NAMES)], &accept("en, fr;q=0.5")),
        )
        .await;
        let read_library = find(&read, "categories", "library");
        assert_eq!(
            (&read_library["name"], &read_library["nameLanguage"]),
            (&json!("Library"), &json!("en")),
            "{label}"
        );
        assert_eq!(
            find(&read, "neighborhoods", "ile-du-ramier")["name"],
            "Ramier Island"
        );
        let cinema = find(&read, "categories", "cinema");
        assert_eq!(
            (&cinema["name"], &cinema["nameLanguage"]),
            (&find(&before, "categories", "cinema")["name"], &json!("fr")),
            "{label}"
        );

        // `null` removes it.
        let (_, removed) = run(
            &app,
            Some(&admin),
            SET_NAME,
            json!({ "id": library, "lang": "en", "name": null }),
        )
        .await;
        assert_eq!(
            removed["data"]["setCatalogTranslation"]["category"],
            json!({ "name": find(&before, "categories", "library")["name"], "nameLanguage": "fr" }),
            "{label}: {removed}"
        );
    }
}

#[tokio::test]
async fn search_finds_items_by_their_translations_read_in_their_own_language() {
    const FIND: &str = "query($q: String!) { search(query: $q, kinds: [PLACE], first: 5) { edges { node { ... on Place { id name } } } } }";
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let id = create_library(&app, &editor).await;
        let found = |language: &'static str, words: &'static str| {
            let (app, id) = (&app, id.clone());
            async move {
                let variables = json!({ "q": words }).to_string();
                let (_, _, body) = send(
                    &app.router,
                    get(
                        &[("query", FIND), ("variables", &variables)],
                        &accept(language),
                    ),
                )
                .await;
                let edges = body["data"]["search"]["edges"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{body}"))
                    .clone();
                edges.iter().any(|edge| edge["node"]["id"] == id.as_str())
            }
        };
        assert!(!found("en", "libraries for children").await, "{label}");

        // English read as English ("libraries" and "library" are one term), Spanish as
        // Spanish ("bibliotecas" and "biblioteca").
        for (language, texts) in [
            (
                "en",
                json!({ "name": "Izards Library", "description": "A neighbourhood library for children and their parents." }),
            ),
            (
                "es",
                json!({ "name": "Biblioteca de los Izards", "description": "Una biblioteca de barrio." }),
            ),
        ] {
            let (_, set) = run(
                &app,
                Some(&editor),
                SET,
                json!({ "id": id, "v": if language == "en" { 1 } else { 2 }, "lang": language, "texts": texts }),
            )
            .await;
            assert!(set["errors"].is_null(), "{label}: {set}");
        }
        assert!(found("en", "libraries for children").await, "{label}");
        assert!(found("es", "bibliotecas del barrio").await, "{label}");
        // The originals are still found in the city's language.
        assert!(found("fr", "bibliothèques izards").await, "{label}");
    }
}

#[tokio::test]
async fn the_notes_of_exception_dates_are_translated_date_by_date() {
    const HOURS: &str = "query($id: ID!) { node(id: $id) { ... on Place { openingHours { exceptions { date note noteLanguage } } translations { field stale } } } }";
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let mut input = library();
        input["openingHours"] = json!({
            "weekly": [{ "day": "TUESDAY", "opens": "10:00", "closes": "18:00" }],
            "exceptions": [
                { "date": "2027-05-01", "ranges": [], "note": "Fermé pour la fête du travail" },
                { "date": "2027-06-21", "ranges": [{ "opens": "10:00", "closes": "23:00" }], "note": "Ouvert tard pour la fête de la musique" },
                { "date": "2027-07-14", "ranges": [] }
            ]
        });
        let (_, made) = run(
            &app,
            Some(&editor),
            "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id } } }",
            json!({ "input": input }),
        )
        .await;
        let id = made["data"]["createPlace"]["place"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {made}"))
            .to_owned();
        let notes = |notes: Value| json!({ "id": id, "v": 1, "lang": "en", "texts": { "openingHoursNotes": notes } });

        // A date without a note to translate, a date given twice, a note on two lines: each
        // refused, nothing written.
        for bad in [
            json!([{ "date": "2027-07-14", "note": "Closed for Bastille Day" }]),
            json!([{ "date": "2027-05-01", "note": "Closed" }, { "date": "2027-05-01", "note": "Shut" }]),
            json!([{ "date": "2027-05-01", "note": "Closed\nfor Labour Day" }]),
        ] {
            let (_, refused) = run(&app, Some(&editor), SET, notes(bad)).await;
            assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
        }
        let (_, set) = run(
            &app,
            Some(&editor),
            SET,
            notes(json!([{ "date": "2027-05-01", "note": "Closed for Labour Day" }])),
        )
        .await;
        assert_eq!(
            set["data"]["setTranslation"]["place"]["version"], 2,
            "{label}: {set}"
        );

        // In English: the translated date in English, the other in French, the third has none.
        let variables = json!({ "id": id }).to_string();
        let (_, _, body) = send(
            &app.router,
            get(
                &[("query", HOURS), ("variables", &variables)],
                &accept("en"),
            ),
        )
        .await;
        let place = &body["data"]["node"];
        assert_eq!(
            place["openingHours"]["exceptions"],
            json!([
                { "date": "2027-05-01", "note": "Closed for Labour Day", "noteLanguage": "en" },
                { "date": "2027-06-21", "note": "Ouvert tard pour la fête de la musique", "noteLanguage": "fr" },
                { "date": "2027-07-14", "note": null, "noteLanguage": null }
            ]),
            "{label}: {body}"
        );
        assert_eq!(
            place["translations"],
            json!([{ "field": "OPENING_HOURS_NOTES", "stale": false }]),
            "{label}"
        );
    }
}
