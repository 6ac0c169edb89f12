//! Publishers' social accounts kept by their editors, on both databases: an address is
//! checked against its network and must be an account's page, listing it twice keeps one,
//! only the organization's editors change the list, and each change is audited and in the
//! change log.

use serde_json::{Value, json};

use super::accounts::{city_editor, metropole_editor, run};
use super::{TestApp, apps, code};

const ADD: &str = "mutation($o: ID!, $n: Network!, $u: URL!) { addSocialAccount(organizationId: $o, network: $n, url: $u) { organization { slug socialAccounts { network url } } } }";
const REMOVE: &str = "mutation($o: ID!, $u: URL!) { removeSocialAccount(organizationId: $o, url: $u) { organization { socialAccounts { network url } } } }";
const SCOOPIT: &str = "https://www.scoop.it/topic/toulouse-patrimoine";

/// What anonymous readers get: the city's profile as `city`, beside the other fields asked.
async fn city_profile(app: &TestApp, also: &str) -> Value {
    let (_, body) = run(
        app,
        None,
        &format!("{{ organizations {{ id slug socialAccounts {{ network url }} }} {also} }}"),
        json!({}),
    )
    .await;
    let mut data = body["data"].clone();
    let city = data["organizations"]
        .as_array()
        .and_then(|all| all.iter().find(|o| o["slug"] == "ville-de-toulouse"))
        .cloned()
        .unwrap_or_else(|| panic!("{body}"));
    data["city"] = city;
    data
}

fn accounts(body: &Value, root: &str) -> Vec<(String, String)> {
    body["data"][root]["organization"]["socialAccounts"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|a| {
            (
                a["network"].as_str().unwrap().to_owned(),
                a["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn editors_keep_their_organizations_social_accounts() {
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let other = metropole_editor(&app).await;
        let (city, before) = {
            let body = city_profile(&app, "").await;
            let listed = body["city"]["socialAccounts"].as_array().unwrap().len();
            (body["city"]["id"].as_str().unwrap().to_owned(), listed)
        };

        // Who may not: nobody signed in, another publisher's editor.
        let scoopit = json!({ "o": city, "n": "SCOOPIT", "u": format!("{SCOOPIT}?utm_source=x") });
        let (_, anonymous) = run(&app, None, ADD, scoopit.clone()).await;
        assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{label}: {anonymous}");
        let (_, forbidden) = run(&app, Some(&other), ADD, scoopit.clone()).await;
        assert_eq!(code(&forbidden), "FORBIDDEN", "{label}: {forbidden}");

        // Addresses that are not an account on that network are named, and nothing changes.
        for (network, url, message) in [
            (
                "X",
                "https://www.facebook.com/villedetoulouse",
                "X addresses must be on x.com or twitter.com, not on www.facebook.com",
            ),
            (
                "INSTAGRAM",
                "https://www.instagram.com/p/C1a2B3c4D5e/",
                "this is a post on Instagram, not an account: give the address of the account's page",
            ),
            (
                "SCOOPIT",
                "https://www.scoop.it/",
                "this is the Scoop.it home page; give the address of the post or account itself",
            ),
        ] {
            let (_, refused) = run(
                &app,
                Some(&editor),
                ADD,
                json!({ "o": city, "n": network, "u": url }),
            )
            .await;
            assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
            let field = &refused["errors"][0]["extensions"]["fields"][0];
            assert_eq!(field["field"], "url", "{label}: {refused}");
            assert_eq!(field["message"], message, "{label}");
        }

        // A Scoop.it topic page is an account; tracking parameters are dropped, and listing
        // it again keeps one.
        let (_, added) = run(&app, Some(&editor), ADD, scoopit.clone()).await;
        let listed = accounts(&added, "addSocialAccount");
        assert_eq!(listed.len(), before + 1, "{label}: {added}");
        assert_eq!(
            listed.last().unwrap(),
            &("SCOOPIT".to_owned(), SCOOPIT.to_owned()),
            "{label}"
        );
        let (_, again) = run(&app, Some(&editor), ADD, scoopit).await;
        assert_eq!(accounts(&again, "addSocialAccount"), listed, "{label}");

        // Readers see it, and followers of the change log hear of it.
        // On PostgreSQL a change becomes readable once every older transaction of the
        // server has ended (other tests share it): it is there within moments.
        let mut read = Value::Null;
        for _ in 0..100 {
            read = city_profile(
                &app,
                "changes(last: 1) { nodes { kind change node { ... on Organization { slug } } } }",
            )
            .await;
            if read["changes"]["nodes"][0]["kind"] == "ORGANIZATION" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(
            read["city"]["socialAccounts"].as_array().unwrap().len(),
            before + 1,
            "{label}: {read}"
        );
        assert_eq!(
            read["changes"]["nodes"][0],
            json!({ "kind": "ORGANIZATION", "change": "UPDATED", "node": { "slug": "ville-de-toulouse" } }),
            "{label}: {read}"
        );

        // The trail says who added it.
        let (_, trail) = run(
            &app,
            Some(&editor),
            "query($id: ID) { auditLog(itemId: $id, first: 5) { nodes { action itemKind changes } } }",
            json!({ "id": city }),
        )
        .await;
        assert_eq!(
            trail["data"]["auditLog"]["nodes"][0],
            json!({ "action": "CREATE", "itemKind": "ORGANIZATION", "changes": { "socialAccounts": { "to": { "network": "SCOOPIT", "url": SCOOPIT } } } }),
            "{label}: {trail}"
        );

        // Removing it gives the list back; removing it again finds nothing.
        let remove = json!({ "o": city, "u": SCOOPIT });
        let (_, forbidden) = run(&app, Some(&other), REMOVE, remove.clone()).await;
        assert_eq!(code(&forbidden), "FORBIDDEN", "{label}: {forbidden}");
        let (_, removed) = run(&app, Some(&editor), REMOVE, remove.clone()).await;
        assert_eq!(
            accounts(&removed, "removeSocialAccount").len(),
            before,
            "{label}: {removed}"
        );
        let (_, gone) = run(&app, Some(&editor), REMOVE, remove).await;
        assert_eq!(code(&gone), "NOT_FOUND", "{label}: {gone}");
    }
}
