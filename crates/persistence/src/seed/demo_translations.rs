//! English and Spanish texts of the demo city's most visited places and of its upcoming
//! events, as the city's tourism office would publish them. Pure data.

/// One item's texts in one language.
pub struct DemoTranslation {
    /// The item's slug.
    pub slug: &'static str,
    /// The language, as an ISO 639-1 code.
    pub language: &'static str,
    /// A place's name or an event's title.
    pub title: &'static str,
    /// A place's description or an event's summary.
    pub text: &'static str,
}

/// Translations of the most visited places.
pub static PLACE_TRANSLATIONS: &[DemoTranslation] = &[
    DemoTranslation {
        slug: "place-du-capitole",
        language: "en",
        title: "Place du Capitole",
        text: "The great pedestrian square in the heart of the city, lined by the façade of the Capitole and its arcades; Raymond Moretti's Occitan cross is set into its paving.",
    },
    DemoTranslation {
        slug: "place-du-capitole",
        language: "es",
        title: "Plaza del Capitole",
        text: "La gran plaza peatonal del centro de la ciudad, bordeada por la fachada del Capitole y sus soportales; la cruz occitana de Raymond Moretti está incrustada en su pavimento.",
    },
    DemoTranslation {
        slug: "cite-de-l-espace",
        language: "en",
        title: "Cité de l'espace",
        text: "A space discovery park: a full-size Ariane 5 rocket, the Mir space station, a planetarium and simulators.",
    },
    DemoTranslation {
        slug: "cite-de-l-espace",
        language: "es",
        title: "Cité de l'espace",
        text: "Parque de descubrimiento del espacio: cohete Ariane 5 a tamaño real, estación Mir, planetario y simuladores.",
    },
    DemoTranslation {
        slug: "hotel-de-ville-capitole",
        language: "en",
        title: "Capitole – City Hall",
        text: "Seat of the city council since the Middle Ages. Its state rooms, including the Salle des Illustres, can be visited freely.",
    },
    DemoTranslation {
        slug: "hotel-de-ville-capitole",
        language: "es",
        title: "Capitole – Ayuntamiento",
        text: "Sede del ayuntamiento desde la Edad Media. Sus salones de gala, entre ellos la Salle des Illustres, pueden visitarse libremente.",
    },
    DemoTranslation {
        slug: "basilique-saint-sernin",
        language: "en",
        title: "Basilica of Saint-Sernin",
        text: "The largest surviving Romanesque church in Europe, a stop on the Way of St James and a UNESCO World Heritage Site.",
    },
    DemoTranslation {
        slug: "basilique-saint-sernin",
        language: "es",
        title: "Basílica de Saint-Sernin",
        text: "La mayor iglesia románica conservada de Europa, etapa del Camino de Santiago inscrita en el Patrimonio Mundial de la Unesco.",
    },
    DemoTranslation {
        slug: "metro-jean-jaures",
        language: "en",
        title: "Jean-Jaurès metro station",
        text: "Interchange station between Tisséo metro lines A and B, at the start of the Allées Jean-Jaurès.",
    },
    DemoTranslation {
        slug: "metro-jean-jaures",
        language: "es",
        title: "Estación de metro Jean-Jaurès",
        text: "Estación de correspondencia entre las líneas A y B del metro Tisséo, al inicio de las allées Jean-Jaurès.",
    },
    DemoTranslation {
        slug: "metro-capitole",
        language: "en",
        title: "Capitole metro station",
        text: "Station on Tisséo metro line A, beneath the Place du Capitole.",
    },
    DemoTranslation {
        slug: "metro-capitole",
        language: "es",
        title: "Estación de metro Capitole",
        text: "Estación de la línea A del metro Tisséo, bajo la plaza del Capitole.",
    },
    DemoTranslation {
        slug: "quai-de-la-daurade",
        language: "en",
        title: "Quai de la Daurade",
        text: "The stepped quays below the Basilica of La Daurade, where the people of Toulouse gather to watch the sun set over the Garonne.",
    },
    DemoTranslation {
        slug: "quai-de-la-daurade",
        language: "es",
        title: "Muelle de la Daurade",
        text: "Los muelles escalonados al pie de la basílica de la Daurade, punto de encuentro de los tolosanos para ver la puesta de sol sobre el Garona.",
    },
    DemoTranslation {
        slug: "gare-matabiau",
        language: "en",
        title: "Toulouse-Matabiau station",
        text: "Toulouse's main railway station, on the banks of the Canal du Midi; connection with metro line A (Marengo-SNCF station).",
    },
    DemoTranslation {
        slug: "gare-matabiau",
        language: "es",
        title: "Estación Toulouse-Matabiau",
        text: "La estación principal de Toulouse, a orillas del canal du Midi; correspondencia con la línea A del metro (estación Marengo-SNCF).",
    },
];

/// Translations of upcoming events.
pub static EVENT_TRANSLATIONS: &[DemoTranslation] = &[
    DemoTranslation {
        slug: "cine-concert-cinematheque",
        language: "en",
        title: "Film concert: Buster Keaton with live piano",
        text: "\"The General\" screened in a restored print, with live piano accompaniment.",
    },
    DemoTranslation {
        slug: "cine-concert-cinematheque",
        language: "es",
        title: "Cineconcierto: Buster Keaton al piano",
        text: "«El maquinista de La General» proyectada en copia restaurada, con acompañamiento de piano en directo.",
    },
    DemoTranslation {
        slug: "heure-du-conte-cabanis",
        language: "en",
        title: "Story time at the José-Cabanis media library",
        text: "Every Wednesday morning, the librarians tell stories to the very young.",
    },
    DemoTranslation {
        slug: "heure-du-conte-cabanis",
        language: "es",
        title: "La hora del cuento en la mediateca José-Cabanis",
        text: "Cada miércoles por la mañana, los bibliotecarios cuentan historias a los más pequeños.",
    },
    DemoTranslation {
        slug: "marche-plein-vent-saint-aubin",
        language: "en",
        title: "Sunday market at Saint-Aubin",
        text: "The big Sunday-morning open-air market: local producers, florists, second-hand booksellers and bric-a-brac dealers.",
    },
    DemoTranslation {
        slug: "marche-plein-vent-saint-aubin",
        language: "es",
        title: "Mercado del domingo en Saint-Aubin",
        text: "El gran mercado al aire libre del domingo por la mañana: productores, floristas, libreros de viejo y vendedores de antigüedades.",
    },
    DemoTranslation {
        slug: "visite-salle-des-illustres",
        language: "en",
        title: "Guided tour of the Capitole and the Salle des Illustres",
        text: "One hour to discover the state rooms of the city hall and their painted decorations.",
    },
    DemoTranslation {
        slug: "visite-salle-des-illustres",
        language: "es",
        title: "Visita guiada al Capitole y a la Salle des Illustres",
        text: "Una hora para descubrir los salones de gala del ayuntamiento y sus decoraciones pintadas.",
    },
    DemoTranslation {
        slug: "petits-naturalistes-museum",
        language: "en",
        title: "Young naturalists: family workshop at the Muséum",
        text: "Magnifying glasses, feathers and tracks: children investigate the animals of winter with a museum educator.",
    },
    DemoTranslation {
        slug: "petits-naturalistes-museum",
        language: "es",
        title: "Pequeños naturalistas: taller en familia en el Muséum",
        text: "Lupas, plumas y huellas: los niños investigan sobre los animales del invierno con un educador del museo.",
    },
    DemoTranslation {
        slug: "balade-ville-rose",
        language: "en",
        title: "Guided walk: Toulouse, the Pink City",
        text: "From the Capitole to Saint-Sernin by way of the Jacobins, two hours to understand brick and the history of Toulouse.",
    },
    DemoTranslation {
        slug: "balade-ville-rose",
        language: "es",
        title: "Paseo guiado: Toulouse, la ciudad rosa",
        text: "Del Capitole a Saint-Sernin pasando por los Jacobinos, dos horas para entender el ladrillo y la historia de Toulouse.",
    },
    DemoTranslation {
        slug: "atelier-open-data",
        language: "en",
        title: "Open data workshop: exploring the metropolis's data",
        text: "Discover the open data portal, download a dataset and build your first map.",
    },
    DemoTranslation {
        slug: "atelier-open-data",
        language: "es",
        title: "Taller de datos abiertos: explorar los datos de la metrópoli",
        text: "Descubrir el portal de datos abiertos, descargar un conjunto de datos y crear su primer mapa.",
    },
    DemoTranslation {
        slug: "atelier-smartphone-seniors",
        language: "en",
        title: "First steps with your smartphone",
        text: "Four small-group sessions to get to grips with your phone: video calls, photos, useful apps.",
    },
    DemoTranslation {
        slug: "atelier-smartphone-seniors",
        language: "es",
        title: "Primeros pasos con su smartphone",
        text: "Cuatro sesiones en grupo reducido para familiarizarse con el teléfono: videollamadas, fotos, aplicaciones útiles.",
    },
];

/// English and Spanish names of a few categories and neighbourhoods, by slug: the slug, the
/// language, the name.
pub static CATALOG_TRANSLATIONS: &[(&str, &str, &str)] = &[
    ("culture", "en", "Culture"),
    ("culture", "es", "Cultura"),
    ("museum", "en", "Museum"),
    ("museum", "es", "Museo"),
    ("library", "en", "Library, media library"),
    ("library", "es", "Biblioteca, mediateca"),
    ("theatre", "en", "Theatre"),
    ("theatre", "es", "Teatro"),
    ("park-garden", "en", "Park, garden"),
    ("park-garden", "es", "Parque, jardín"),
    ("event-concert", "en", "Concert"),
    ("event-concert", "es", "Concierto"),
    ("sport", "en", "Sport"),
    ("sport", "es", "Deporte"),
    ("ile-du-ramier", "en", "Ramier Island"),
    ("ile-du-ramier", "es", "Isla del Ramier"),
];
