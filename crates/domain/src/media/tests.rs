//! Which addresses of the city's channels are recognised, how, and what is refused.

#![allow(clippy::unwrap_used)]

use super::*;

fn video(url: &str) -> Result<Media, MediaError> {
    check_media(MediaInput {
        url: url.into(),
        ..MediaInput::default()
    })
}

fn image(url: &str) -> Result<Media, MediaError> {
    check_media(MediaInput {
        url: url.into(),
        alt: Some("La place du Capitole illuminée".into()),
        ..MediaInput::default()
    })
}

fn as_kind(url: &str, kind: MediaKind) -> Result<Media, MediaError> {
    check_media(MediaInput {
        url: url.into(),
        kind: Some(kind),
        alt: Some("Description".into()),
        ..MediaInput::default()
    })
}

#[test]
fn every_dailymotion_form_gives_the_same_canonical_video() {
    for url in [
        "https://www.dailymotion.com/video/x8abc12",
        "https://dailymotion.com/video/x8abc12",
        "https://WWW.DailyMotion.COM/video/x8abc12?playlist=x6hynp&utm_source=fb",
        "https://m.dailymotion.com/video/x8abc12",
        "https://dai.ly/x8abc12",
        "https://www.dailymotion.com/embed/video/x8abc12",
        "https://www.dailymotion.com/embed/video/x8abc12/",
        "https://www.dailymotion.com/video/x8abc12_fete-de-la-musique_news",
        "https://geo.dailymotion.com/player.html?video=x8abc12",
    ] {
        let media = video(url).unwrap();
        assert_eq!(media.provider, Provider::Dailymotion, "{url}");
        assert_eq!(media.kind, MediaKind::Video, "{url}");
        assert_eq!(media.provider_id.as_deref(), Some("x8abc12"), "{url}");
        assert_eq!(media.url, "https://www.dailymotion.com/video/x8abc12");
        assert_eq!(
            media.embed_url.as_deref(),
            Some("https://www.dailymotion.com/embed/video/x8abc12")
        );
        assert_eq!(
            media.thumbnail_url.as_deref(),
            Some("https://www.dailymotion.com/thumbnail/video/x8abc12")
        );
    }
}

#[test]
fn every_youtube_form_gives_the_same_canonical_video_with_a_private_player() {
    for url in [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.YouTube.com/watch?feature=share&v=dQw4w9WgXcQ&list=PL123",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=Ab12Cd34&t=10",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0",
        "https://www.youtube.com/live/dQw4w9WgXcQ",
    ] {
        let media = video(url).unwrap();
        assert_eq!(media.provider, Provider::Youtube, "{url}");
        assert_eq!(media.kind, MediaKind::Video, "{url}");
        assert_eq!(media.provider_id.as_deref(), Some("dQw4w9WgXcQ"), "{url}");
        assert_eq!(media.url, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
        assert_eq!(
            media.embed_url.as_deref(),
            Some("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
        );
        assert_eq!(
            media.thumbnail_url.as_deref(),
            Some("https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg")
        );
    }
    // Ids keep their case and may hold - and _.
    let media = video("https://youtu.be/a-B_c1D2e3F").unwrap();
    assert_eq!(media.url, "https://www.youtube.com/watch?v=a-B_c1D2e3F");
}

#[test]
fn flickr_albums_and_photos_are_told_apart() {
    for url in [
        "https://www.flickr.com/photos/toulouse/albums/72157720000000000",
        "https://flickr.com/photos/toulouse/albums/72157720000000000/",
        "https://www.flickr.com/photos/toulouse/sets/72157720000000000",
        "https://www.flickr.com/photos/toulouse/albums/72157720000000000/with/53000000000",
    ] {
        let media = video(url).unwrap();
        assert_eq!(media.provider, Provider::Flickr, "{url}");
        assert_eq!(media.kind, MediaKind::Album, "{url}");
        assert_eq!(
            media.provider_id.as_deref(),
            Some("72157720000000000"),
            "{url}"
        );
        assert_eq!(
            media.url,
            "https://www.flickr.com/photos/toulouse/albums/72157720000000000"
        );
        assert_eq!(media.embed_url, None);
    }
    for url in [
        "https://www.flickr.com/photos/toulouse/53000000000",
        "https://www.flickr.com/photos/toulouse/53000000000/",
        "https://www.flickr.com/photos/toulouse/53000000000/in/album-72157720000000000/",
    ] {
        let media = image(url).unwrap();
        assert_eq!(media.kind, MediaKind::Image, "{url}");
        assert_eq!(media.provider_id.as_deref(), Some("53000000000"), "{url}");
        assert_eq!(
            media.url,
            "https://www.flickr.com/photos/toulouse/53000000000"
        );
    }
    let nsid = image("https://www.flickr.com/photos/12345678@N04/53000000000").unwrap();
    assert_eq!(
        nsid.url,
        "https://www.flickr.com/photos/12345678@N04/53000000000"
    );
    // Flickr also hosts videos on photo pages.
    let clip = as_kind(
        "https://www.flickr.com/photos/toulouse/53000000000",
        MediaKind::Video,
    )
    .unwrap();
    assert_eq!(clip.kind, MediaKind::Video);
}

#[test]
fn flickr_short_links_ask_for_the_full_address() {
    for url in ["https://flic.kr/s/aHBqjAzXyZ", "https://flic.kr/p/2oAbCdE"] {
        let err = video(url).unwrap_err();
        assert_eq!(
            err,
            MediaError::ShortLink {
                provider: Provider::Flickr,
                full: "flickr.com"
            }
        );
        assert_eq!(
            err.to_string(),
            "Flickr short links cannot be used: open the link and paste the full \
             flickr.com address"
        );
    }
}

#[test]
fn instagram_posts_and_reels_share_one_canonical_form() {
    let post = image("https://www.instagram.com/p/C1a2B3c4D5e/?igsh=abc&img_index=1").unwrap();
    assert_eq!(post.provider, Provider::Instagram);
    assert_eq!(post.kind, MediaKind::Image);
    assert_eq!(post.provider_id.as_deref(), Some("C1a2B3c4D5e"));
    assert_eq!(post.url, "https://www.instagram.com/p/C1a2B3c4D5e/");
    assert_eq!(
        post.embed_url.as_deref(),
        Some("https://www.instagram.com/p/C1a2B3c4D5e/embed")
    );
    assert_eq!(post.thumbnail_url, None);
    for url in [
        "https://www.instagram.com/reel/C1a2B3c4D5e/",
        "https://instagram.com/reel/C1a2B3c4D5e",
        "https://www.instagram.com/reels/C1a2B3c4D5e/",
        "https://www.instagram.com/toulouse/reel/C1a2B3c4D5e/?igshid=xyz",
    ] {
        let reel = video(url).unwrap();
        assert_eq!(reel.kind, MediaKind::Video, "{url}");
        assert_eq!(
            reel.url, "https://www.instagram.com/p/C1a2B3c4D5e/",
            "{url}"
        );
    }
    let shared = image("https://www.instagram.com/toulouse/p/C1a2B3c4D5e/").unwrap();
    assert_eq!(shared.url, "https://www.instagram.com/p/C1a2B3c4D5e/");
    // A post may be a video or a carousel: the editor says which.
    let carousel = as_kind("https://www.instagram.com/p/C1a2B3c4D5e/", MediaKind::Album).unwrap();
    assert_eq!(carousel.kind, MediaKind::Album);
}

#[test]
fn other_https_addresses_are_web_images_unless_declared_otherwise() {
    let photo = check_media(MediaInput {
        url: " https://Static.Toulouse.FR/photos/capitole%20nuit.jpg?w=1200&utm_source=nl ".into(),
        alt: Some("  La place du Capitole de nuit ".into()),
        caption: Some("Le Capitole illuminé".into()),
        credit: Some("Photo : Ville de Toulouse".into()),
        kind: None,
    })
    .unwrap();
    assert_eq!(
        photo,
        Media {
            kind: MediaKind::Image,
            provider: Provider::Web,
            provider_id: None,
            url: "https://static.toulouse.fr/photos/capitole%20nuit.jpg?w=1200".into(),
            embed_url: None,
            thumbnail_url: None,
            alt: Some("La place du Capitole de nuit".into()),
            caption: Some("Le Capitole illuminé".into()),
            credit: Some("Photo : Ville de Toulouse".into()),
        }
    );
    let clip = as_kind(
        "https://videos.toulouse.fr/feu-artifice.mp4",
        MediaKind::Video,
    );
    assert_eq!(clip.unwrap().kind, MediaKind::Video);
    let gallery = as_kind("https://www.toulouse.fr/galerie/noel", MediaKind::Album);
    assert_eq!(gallery.unwrap().provider, Provider::Web);
    // A lookalike host is not the provider.
    let lookalike = image("https://youtube.com.example.org/watch?v=dQw4w9WgXcQ").unwrap();
    assert_eq!(lookalike.provider, Provider::Web);
}

#[test]
fn unsafe_or_incomplete_addresses_are_refused_with_the_reason() {
    let cases = [
        ("", MediaError::UrlMissing, "a media item needs an address"),
        (
            "www.toulouse.fr/a.jpg",
            MediaError::UrlNotAbsolute,
            "a media address must be complete, starting with https://",
        ),
        (
            "http://www.toulouse.fr/a.jpg",
            MediaError::UrlNotHttps,
            "a media address must start with https://, not http://: the site is served \
             over https and browsers block http media on it",
        ),
        (
            "ftp://files.toulouse.fr/a.jpg",
            MediaError::UrlSchemeNotSupported {
                scheme: "ftp".into(),
            },
            "a media address must start with https://, not ftp:",
        ),
        (
            "https://agent:secret@www.toulouse.fr/a.jpg",
            MediaError::UrlCredentials,
            "a media address cannot contain a user name or password",
        ),
        (
            "https://www.toulouse.fr/a\u{7}.jpg",
            MediaError::UrlControlCharacter,
            "a media address cannot contain line breaks, tabs or other control characters",
        ),
        (
            "https://www.toulouse.fr/a\n.jpg",
            MediaError::UrlControlCharacter,
            "a media address cannot contain line breaks, tabs or other control characters",
        ),
        (
            "https://10.0.0.1/a.jpg",
            MediaError::UrlHostNotPublic {
                host: "10.0.0.1".into(),
            },
            "a media address must point to a public web site, not to 10.0.0.1",
        ),
        (
            "https://[::1/a.jpg",
            MediaError::UrlMalformed,
            "this media address cannot be read; check it for typing mistakes",
        ),
    ];
    for (url, error, message) in cases {
        let err = image(url).unwrap_err();
        assert_eq!(err, error, "{url}");
        assert_eq!(err.to_string(), message, "{url}");
    }
    let long = format!("https://www.toulouse.fr/{}.jpg", "a".repeat(2048));
    let err = image(&long).unwrap_err();
    assert_eq!(err, MediaError::UrlTooLong { max: 2048 });
    assert_eq!(
        err.to_string(),
        "a media address has at most 2048 characters"
    );
    let just_fits = format!("https://www.toulouse.fr/{}", "a".repeat(2048 - 24));
    assert_eq!(just_fits.len(), 2048);
    assert!(image(&just_fits).is_ok());
}

#[test]
fn provider_addresses_with_a_bad_id_are_refused() {
    let youtube = "this YouTube address has no valid video id (11 letters, digits, - or _, \
                   as in youtube.com/watch?v=…)";
    let dailymotion = "this Dailymotion address has no valid video id (an x followed by \
                       letters and digits, as in dailymotion.com/video/x8abc12)";
    let instagram = "this Instagram address has no valid post code (letters, digits, - or \
                     _, as in instagram.com/p/…)";
    for (url, message) in [
        ("https://www.youtube.com/watch?list=PL123", youtube),
        ("https://www.youtube.com/watch?v=short", youtube),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQQ", youtube),
        ("https://www.youtube.com/watch?v=dQw4w9WgX%21Q", youtube),
        ("https://youtu.be/", youtube),
        ("https://www.youtube.com/shorts/abc", youtube),
        ("https://www.dailymotion.com/video/8abc12", dailymotion),
        ("https://www.dailymotion.com/video/x8abc-12", dailymotion),
        ("https://dai.ly/", dailymotion),
        ("https://geo.dailymotion.com/player.html", dailymotion),
        (
            "https://www.flickr.com/photos/toulouse/albums/summer",
            "this Flickr address has no valid album number",
        ),
        (
            "https://www.flickr.com/photos/toulouse/sets/",
            "this Flickr address has no valid album number",
        ),
        (
            "https://www.flickr.com/photos/tou%20louse/53000000000",
            "this Flickr address has no valid user name",
        ),
        ("https://www.instagram.com/p/", instagram),
        ("https://www.instagram.com/reel/a%2Fb/", instagram),
    ] {
        let err = video(url).unwrap_err();
        assert!(matches!(err, MediaError::MalformedId { .. }), "{url}");
        assert_eq!(err.to_string(), message, "{url}");
    }
}

#[test]
fn provider_pages_that_are_not_one_media_item_are_refused() {
    for (url, provider) in [
        (
            "https://www.youtube.com/@VilledeToulouse",
            Provider::Youtube,
        ),
        (
            "https://www.youtube.com/playlist?list=PL123",
            Provider::Youtube,
        ),
        ("https://www.youtube.com/", Provider::Youtube),
        (
            "https://www.dailymotion.com/villedetoulouse",
            Provider::Dailymotion,
        ),
        ("https://www.flickr.com/photos/toulouse/", Provider::Flickr),
        (
            "https://www.flickr.com/photos/toulouse/favorites",
            Provider::Flickr,
        ),
        ("https://www.flickr.com/groups/toulouse", Provider::Flickr),
        ("https://www.instagram.com/toulouse/", Provider::Instagram),
    ] {
        let err = video(url).unwrap_err();
        assert!(
            matches!(err, MediaError::NotAMediaPage { provider: p, .. } if p == provider),
            "{url}: {err:?}"
        );
    }
    assert_eq!(
        video("https://www.youtube.com/@VilledeToulouse")
            .unwrap_err()
            .to_string(),
        "this YouTube page is not a single media item: link to a video \
         (youtube.com/watch?v=…, youtu.be/…, youtube.com/shorts/…)"
    );
}

#[test]
fn a_declared_kind_must_match_what_the_provider_hosts() {
    let err = as_kind("https://youtu.be/dQw4w9WgXcQ", MediaKind::Image).unwrap_err();
    assert_eq!(
        err,
        MediaError::KindMismatch {
            provider: Provider::Youtube,
            declared: MediaKind::Image,
            expected: "a video",
        }
    );
    assert_eq!(
        err.to_string(),
        "this YouTube address is a video; it cannot be attached as IMAGE"
    );
    let err = as_kind("https://dai.ly/x8abc12", MediaKind::Album).unwrap_err();
    assert_eq!(
        err.to_string(),
        "this Dailymotion address is a video; it cannot be attached as ALBUM"
    );
    let err = as_kind(
        "https://www.flickr.com/photos/toulouse/albums/72157720000000000",
        MediaKind::Image,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "this Flickr address is an album; it cannot be attached as IMAGE"
    );
    let err = as_kind(
        "https://www.flickr.com/photos/toulouse/53000000000",
        MediaKind::Album,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "this Flickr address is a photo or a video; it cannot be attached as ALBUM"
    );
    let err = as_kind(
        "https://www.instagram.com/reel/C1a2B3c4D5e/",
        MediaKind::Image,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "this Instagram address is a video; it cannot be attached as IMAGE"
    );
    assert!(as_kind("https://youtu.be/dQw4w9WgXcQ", MediaKind::Video).is_ok());
}

#[test]
fn images_need_a_text_alternative_and_other_media_may_have_one() {
    for alt in [None, Some(String::new()), Some("   ".to_owned())] {
        let err = check_media(MediaInput {
            url: "https://www.toulouse.fr/a.jpg".into(),
            alt,
            ..MediaInput::default()
        })
        .unwrap_err();
        assert_eq!(err, MediaError::AltMissing);
        assert_eq!(
            err.to_string(),
            "an image needs a text alternative (alt) describing it for people who cannot \
             see it"
        );
    }
    let err = video("https://www.flickr.com/photos/toulouse/53000000000").unwrap_err();
    assert_eq!(err, MediaError::AltMissing);
    let media = check_media(MediaInput {
        url: "https://youtu.be/dQw4w9WgXcQ".into(),
        alt: Some("Le feu d'artifice du 14 juillet".into()),
        ..MediaInput::default()
    })
    .unwrap();
    assert_eq!(
        media.alt.as_deref(),
        Some("Le feu d'artifice du 14 juillet")
    );
    assert_eq!(video("https://youtu.be/dQw4w9WgXcQ").unwrap().alt, None);
}

#[test]
fn descriptions_have_limits_in_characters_and_no_control_characters() {
    let with = |alt: &str, caption: &str, credit: &str| {
        check_media(MediaInput {
            url: "https://www.toulouse.fr/a.jpg".into(),
            kind: None,
            alt: Some(alt.into()),
            caption: Some(caption.into()),
            credit: Some(credit.into()),
        })
    };
    // Limits count characters, not bytes: "é" is two bytes.
    assert!(with(&"é".repeat(300), &"é".repeat(500), &"é".repeat(200)).is_ok());
    let cases = [
        (
            with(&"é".repeat(301), "", ""),
            MediaError::AltTooLong { max: 300 },
            "a text alternative has at most 300 characters",
        ),
        (
            with("Photo", &"é".repeat(501), ""),
            MediaError::CaptionTooLong { max: 500 },
            "a caption has at most 500 characters",
        ),
        (
            with("Photo", "", &"é".repeat(201)),
            MediaError::CreditTooLong { max: 200 },
            "a credit has at most 200 characters",
        ),
        (
            with("Photo\u{0}", "", ""),
            MediaError::TextControlCharacter {
                field: "text alternative",
            },
            "the text alternative cannot contain line breaks, tabs or other control \
             characters",
        ),
        (
            with("Photo", "Ligne 1\nLigne 2", ""),
            MediaError::TextControlCharacter { field: "caption" },
            "the caption cannot contain line breaks, tabs or other control characters",
        ),
        (
            with("Photo", "", "Photo :\tVille"),
            MediaError::TextControlCharacter { field: "credit" },
            "the credit cannot contain line breaks, tabs or other control characters",
        ),
    ];
    for (result, error, message) in cases {
        let err = result.unwrap_err();
        assert_eq!(err, error);
        assert_eq!(err.to_string(), message);
    }
    let blank = with("Photo", "  ", "").unwrap();
    assert_eq!((blank.caption, blank.credit), (None, None));
}

#[test]
fn media_is_stored_as_camel_case_json_and_read_back() {
    let media = check_media(MediaInput {
        url: "https://youtu.be/dQw4w9WgXcQ".into(),
        kind: None,
        alt: None,
        caption: Some("Le 14 juillet".into()),
        credit: Some("Ville de Toulouse".into()),
    })
    .unwrap();
    let json = serde_json::to_value(&media).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "kind": "VIDEO",
            "provider": "YOUTUBE",
            "providerId": "dQw4w9WgXcQ",
            "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "embedUrl": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            "thumbnailUrl": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",
            "caption": "Le 14 juillet",
            "credit": "Ville de Toulouse",
        })
    );
    let read: Media = serde_json::from_value(json).unwrap();
    assert_eq!(read, media);

    let web = image("https://www.toulouse.fr/a.jpg").unwrap();
    let text = serde_json::to_string(&web).unwrap();
    assert_eq!(serde_json::from_str::<Media>(&text).unwrap(), web);

    let unknown = r#"{"kind":"PODCAST","provider":"WEB","url":"https://a.fr/x"}"#;
    assert!(serde_json::from_str::<Media>(unknown).is_err());
}

#[test]
fn provider_codes_round_trip() {
    for &provider in Provider::ALL {
        assert_eq!(Provider::from_code(provider.code()), Some(provider));
    }
    assert_eq!(Provider::from_code("VIMEO"), None);
}
