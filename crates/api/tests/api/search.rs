//! Unified search on the demo city: what residents type finds what they mean, on SQLite
//! and on PostgreSQL alike.

use serde_json::{Value, json};

use capitole_domain::access::Role;

use super::accounts::{access_of, create, run};
use super::apps;
use super::live::{draft, publish};

/// What residents type, and a result they expect among the first three.
const CORPUS: &[(&str, &str)] = &[
    ("piscines", "Piscine Alfred-Nakache"),
    ("marche noel", "Marché de Noël de Toulouse"),
    ("marchés de noël", "Marché de Noël de Toulouse"),
    ("musees", "Musée des Augustins"),
    ("metro jean jaures", "Station de métro Jean-Jaurès"),
    ("aeroscopa", "Musée Aeroscopia"),
    ("capitole", "Place du Capitole"),
    ("saint sernin", "Basilique Saint-Sernin"),
    ("jacobins", "Couvent des Jacobins"),
    ("jardin japonais", "Jardin japonais Pierre-Baudis"),
    ("cite de l'espace", "Cité de l'espace"),
    ("halle machine", "Halle de la Machine"),
    (
        "minotaure",
        "Le Minotaure en balade sur la piste des Géants",
    ),
    ("zenith", "Zénith Toulouse Métropole"),
    ("bikini", "Le Bikini"),
    ("metronum", "Le Metronum"),
    ("stade", "Stade Ernest-Wallon"),
    ("stadium", "Stadium de Toulouse"),
    ("gare matabiau", "Gare Toulouse-Matabiau"),
    ("médiathèque", "Médiathèque José-Cabanis"),
    ("cinematheque", "Cinémathèque de Toulouse"),
    ("cinemateque", "Cinémathèque de Toulouse"),
    ("abattoirs", "Les Abattoirs – Musée Frac Occitanie Toulouse"),
    ("bemberg", "Hôtel d'Assézat – Fondation Bemberg"),
    ("augustins", "Musée des Augustins"),
    ("daurade", "Basilique Notre-Dame de la Daurade"),
    ("pont neuf", "Pont-Neuf"),
    ("canal du midi", "Port Saint-Sauveur (canal du Midi)"),
    ("victor hugo", "Marché Victor-Hugo"),
    ("marche carmes", "Marché des Carmes"),
    ("opera flute", "Opéra : La Flûte enchantée"),
    (
        "l'heure du conte",
        "L'heure du conte à la médiathèque José-Cabanis",
    ),
    ("origami", "Atelier origami au Jardin japonais"),
    (
        "handball",
        "Handball : soirée de championnat au Palais des sports",
    ),
    ("concorde", "Week-end Concorde à Aeroscopia"),
    ("buster keaton", "Ciné-concert : Buster Keaton au piano"),
    ("conseil municipal", "Séance du conseil municipal"),
    ("velo", "Réunion publique : le Réseau express vélo"),
    (
        "telepherique",
        "Téléo : le téléphérique urbain survole Rangueil",
    ),
    (
        "budget participatif",
        "Budget participatif : les projets lauréats dans vos quartiers",
    ),
    (
        "dechets sapins",
        "Déchets : la collecte pendant les fêtes et le recyclage des sapins",
    ),
    (
        "logement etudiant",
        "Étudiants : un guichet unique pour trouver un logement",
    ),
    (
        "open data",
        "Atelier open data : explorer les données de la métropole",
    ),
    ("smartphone", "Premiers pas avec son smartphone"),
    ("inclusion numerique", "Semaine de l'inclusion numérique"),
    ("voeux du maire", "Vœux du maire aux Toulousains"),
    (
        "mars",
        "Conférence : habiter sur Mars, science ou fiction ?",
    ),
    (
        "symphonie fantastique",
        "Concert accessible : la Symphonie fantastique à la Halle aux Grains",
    ),
    ("grand rond", "Jardin du Grand Rond"),
    ("ramier", "Piscine Alfred-Nakache"),
    (
        "office de tourisme",
        "Office de tourisme – Donjon du Capitole",
    ),
    ("bibliotheque", "Bibliothèque d'Étude et du Patrimoine"),
];

const SEARCH: &str = "query($q: String!, $kinds: [SearchKind!], $near: GeoPointInput, $after: String) { search(query: $q, kinds: $kinds, near: $near, first: 3, after: $after) { totalCount pageInfo { endCursor hasNextPage } edges { score distanceMeters highlights { field fragment } node { __typename ... on Place { name } ... on Event { title } ... on NewsArticle { title } } } } }";

fn names(body: &Value) -> Vec<String> {
    body["data"]["search"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            node["name"]
                .as_str()
                .or(node["title"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn what_residents_type_finds_what_they_mean_and_both_databases_agree() {
    let mut tops: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for app in apps().await {
        let label = app.test_db.label;
        let mut top = Vec::new();
        let mut missed = Vec::new();
        for (query, expected) in CORPUS {
            let (_, body) = run(&app, None, SEARCH, json!({ "q": query })).await;
            let found = names(&body);
            if !found.iter().any(|name| name == expected) {
                missed.push(format!("{query:?} → {found:?}, not {expected:?}"));
            }
            top.push(found);
        }
        assert!(missed.is_empty(), "{label}: {missed:#?}");
        tops.push((label.to_string(), top));
        app.test_db.remove().await;
    }
    if let [(first, a), (second, b)] = tops.as_slice() {
        for ((query, _), (x, y)) in CORPUS.iter().zip(a.iter().zip(b)) {
            assert_eq!(x, y, "{query:?}: {first} and {second} differ");
        }
    }
}

#[tokio::test]
async fn search_marks_what_it_found_ranks_by_distance_pages_and_refuses_what_it_cannot_read() {
    for app in apps().await {
        let label = &app.test_db.label;
        // "marchés" is "marché", not "démarches"; the words found are marked.
        let (_, body) = run(
            &app,
            None,
            SEARCH,
            json!({ "q": "marchés", "kinds": ["PLACE"] }),
        )
        .await;
        let found = names(&body);
        assert!(
            found.iter().all(|n| n.starts_with("Marché")),
            "{label}: {found:?}"
        );
        let edge = &body["data"]["search"]["edges"][0];
        assert!(
            edge["highlights"][0]["fragment"]
                .as_str()
                .unwrap()
                .starts_with("<mark>Marché</mark>"),
            "{label}: {edge}"
        );
        assert_eq!(body["data"]["search"]["totalCount"], 4, "{label}: {body}");

        // Paging: the second page follows the first, with nothing twice.
        let cursor = body["data"]["search"]["pageInfo"]["endCursor"].clone();
        assert_eq!(
            body["data"]["search"]["pageInfo"]["hasNextPage"], true,
            "{label}"
        );
        let (_, next) = run(
            &app,
            None,
            SEARCH,
            json!({ "q": "marchés", "kinds": ["PLACE"], "after": cursor }),
        )
        .await;
        let rest = names(&next);
        assert_eq!(rest.len(), 1, "{label}: {next}");
        assert!(!found.contains(&rest[0]), "{label}");

        // Near Saint-Cyprien, its market comes first, with its distance.
        let near = json!({ "latitude": 43.5975, "longitude": 1.4318 });
        let (_, body) = run(
            &app,
            None,
            SEARCH,
            json!({ "q": "marchés", "kinds": ["PLACE"], "near": near }),
        )
        .await;
        assert_eq!(names(&body)[0], "Marché Saint-Cyprien", "{label}: {body}");
        let distance = body["data"]["search"]["edges"][0]["distanceMeters"]
            .as_f64()
            .unwrap();
        assert!(distance < 500.0, "{label}: {distance}");

        // Kinds narrow the list; a misspelt word is corrected only when it must be.
        let (_, body) = run(
            &app,
            None,
            SEARCH,
            json!({ "q": "aeroscopa", "kinds": ["EVENT"] }),
        )
        .await;
        assert_eq!(
            names(&body),
            ["Week-end Concorde à Aeroscopia"],
            "{label}: {body}"
        );

        for (query, code) in [
            ("le la les", "BAD_USER_INPUT"),
            (&"a".repeat(201) as &str, "BAD_USER_INPUT"),
        ] {
            let (_, body) = run(&app, None, SEARCH, json!({ "q": query })).await;
            assert_eq!(super::code(&body), code, "{label}: {body}");
        }
        let (_, body) = run(
            &app,
            None,
            SEARCH,
            json!({ "q": "marché", "after": "bm9wZQ" }),
        )
        .await;
        assert_eq!(super::code(&body), "BAD_USER_INPUT", "{label}: {body}");

        // A draft is found by nobody; once published, it is found at once.
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        let editor = access_of(&app, "ville@example.org").await;
        let article = draft(
            &app,
            &editor,
            "Le xylophone géant arrive au Capitole",
            "xylo",
        )
        .await;
        for who in [None, Some(editor.as_str())] {
            let (_, body) = run(&app, who, SEARCH, json!({ "q": "xylophones" })).await;
            assert_eq!(body["data"]["search"]["totalCount"], 0, "{label}: {body}");
        }
        publish(&app, &editor, &article).await;
        let (_, body) = run(&app, None, SEARCH, json!({ "q": "xylophones" })).await;
        assert_eq!(
            names(&body),
            ["Le xylophone géant arrive au Capitole"],
            "{label}: {body}"
        );
        app.test_db.remove().await;
    }
}

const SUGGEST: &str = "query($p: String!, $near: GeoPointInput, $kinds: [SuggestionKind!], $first: Int) { suggest(prefix: $p, near: $near, kinds: $kinds, first: $first) { kind text distanceMeters node { __typename } } }";

fn suggested(body: &Value) -> Vec<(String, String)> {
    body["data"]["suggest"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn suggestions_complete_what_is_typed_from_the_second_letter() {
    for app in apps().await {
        let label = &app.test_db.label;
        let suggest = |prefix: &str, extra: Value| {
            let mut variables = json!({ "p": prefix });
            if let (Some(v), Some(extra)) = (variables.as_object_mut(), extra.as_object()) {
                v.extend(extra.clone());
            }
            variables
        };
        let (_, body) = run(&app, None, SUGGEST, suggest("jean ja", json!({}))).await;
        assert_eq!(
            suggested(&body),
            [(
                "PLACE".to_owned(),
                "Station de métro Jean-Jaurès".to_owned()
            )],
            "{label}: {body}"
        );
        // Accents aside, places, events, categories and neighbourhoods together.
        let (_, body) = run(&app, None, SUGGEST, suggest("SAINT CYP", json!({}))).await;
        let found = suggested(&body);
        for expected in [
            ("NEIGHBORHOOD", "Saint-Cyprien"),
            ("PLACE", "Marché Saint-Cyprien"),
        ] {
            assert!(
                found
                    .iter()
                    .any(|(k, t)| k == expected.0 && t == expected.1),
                "{label}: {found:?}"
            );
        }
        let (_, body) = run(&app, None, SUGGEST, suggest("pisc", json!({}))).await;
        let found = suggested(&body);
        assert_eq!(found[0].1, "Piscine Alfred-Nakache", "{label}: {found:?}");
        assert!(
            found.iter().any(|(k, _)| k == "CATEGORY"),
            "{label}: {found:?}"
        );
        assert!(
            found.iter().any(|(k, _)| k == "EVENT"),
            "{label}: {found:?}"
        );
        // One letter is not enough; near a market, it comes first.
        let (_, body) = run(&app, None, SUGGEST, suggest("m", json!({}))).await;
        assert!(suggested(&body).is_empty(), "{label}: {body}");
        let near = json!({ "near": { "latitude": 43.5975, "longitude": 1.4318 }, "kinds": ["PLACE"], "first": 2 });
        let (_, body) = run(&app, None, SUGGEST, suggest("marche", near)).await;
        assert_eq!(suggested(&body).len(), 2, "{label}: {body}");
        assert_eq!(
            body["data"]["suggest"][0]["text"], "Marché Saint-Cyprien",
            "{label}: {body}"
        );
        assert!(
            body["data"]["suggest"][0]["distanceMeters"]
                .as_f64()
                .unwrap()
                < 500.0
        );
        for extra in [json!({ "first": 0 }), json!({ "first": 21 })] {
            let (_, body) = run(&app, None, SUGGEST, suggest("marche", extra)).await;
            assert_eq!(super::code(&body), "BAD_USER_INPUT", "{label}: {body}");
        }
        app.test_db.remove().await;
    }
}
