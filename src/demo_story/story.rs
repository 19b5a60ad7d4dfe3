//! The three client brands of the demo agency: who they are, whom they
//! serve, where those people gather, the communities built for them, what
//! is posted there and how their teams are trained. Everything that varies
//! from person to person is drawn in [`super::generate`].

/// A research tag of the brand's codebook.
pub struct Tag {
    /// Stable key, unique in the codebook.
    pub key: &'static str,
    /// What people read.
    pub label: &'static str,
    /// The codebook's kind (`GOAL`, `INTEREST`, `PAIN_POINT`, ...).
    pub kind: &'static str,
    /// Words or phrases that tag a finding.
    pub keywords: &'static [&'static str],
}

/// A place where the audience already gathers.
pub struct Place {
    /// Where it is (`REDDIT`, `DISCORD`, ...).
    pub platform: &'static str,
    /// Its name there.
    pub name: &'static str,
    /// Its address.
    pub url: &'static str,
    /// How many people it has.
    pub members: i64,
    /// How busy it is.
    pub posts_per_week: f64,
    /// Whether the brand already takes part.
    pub brand_present: bool,
    /// Whether it allows brands to promote themselves.
    pub self_promotion: bool,
    /// The share of the audience found there (0-1).
    pub audience_share: f64,
}

/// A community the agency set up.
pub struct Community {
    /// Short code, used in the demo's external ids.
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// What it is for.
    pub purpose: &'static str,
    /// Community type (`LIFESTYLE`, `PRODUCT`, `PROFESSIONAL`, ...).
    pub kind: &'static str,
    /// Where it runs.
    pub platform: &'static str,
    /// Its address.
    pub url: &'static str,
    /// IANA time zone of its cadence policy.
    pub time_zone: &'static str,
    /// The size the agency aims for.
    pub target_size: i64,
    /// How many members the demo draws.
    pub members: usize,
    /// Channels: name, kind.
    pub channels: &'static [(&'static str, &'static str)],
    /// Relative activity per weekday, Monday first.
    pub weekdays: [f64; 7],
    /// Local hours people are most active at.
    pub peak_hours: &'static [u32],
    /// Its reward programme: name, kind of reward, description.
    pub reward: (&'static str, &'static str, &'static str),
}

/// A content idea: kind, title, body.
pub type Idea = (&'static str, &'static str, &'static str);

/// A client brand.
pub struct Brand {
    /// Short name, used in accounts' e-mail addresses.
    pub slug: &'static str,
    /// Short code, used in external ids.
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// What the brand does.
    pub description: &'static str,
    /// Its website.
    pub website: &'static str,
    /// Currency of its orders.
    pub currency: &'static str,
    /// Mean order value in the currency.
    pub order_value: f64,
    /// A typical customer's orders per 30 days.
    pub order_rate: f64,
    /// Customers who are not community members.
    pub customers: usize,
    /// The audience researched for it.
    pub audience: Audience,
    /// Its research codebook.
    pub tags: &'static [Tag],
    /// What people said in research: text, sentiment.
    pub findings: &'static [(&'static str, f64)],
    /// Where its audience already gathers.
    pub places: &'static [Place],
    /// The communities set up for it.
    pub communities: &'static [Community],
    /// The options of the published poll.
    pub poll_options: &'static [&'static str],
    /// The code of the upcoming exclusive offer.
    pub offer_code: &'static str,
    /// Published ideas (the always-on campaign).
    pub published: &'static [Idea],
    /// The upcoming launch.
    pub launch: (&'static str, &'static str),
    /// Ideas scheduled after the last day.
    pub upcoming: &'static [Idea],
    /// Members' feedback: text, kind.
    pub feedback: &'static [(&'static str, &'static str)],
    /// Its own training programme: title, description.
    pub programme: (&'static str, &'static str),
    /// Its team trained: name, job role.
    pub team: &'static [(&'static str, &'static str)],
}

/// The audience researched for a brand.
pub struct Audience {
    /// Name.
    pub name: &'static str,
    /// Who they are.
    pub description: &'static str,
    /// Age bands.
    pub age_bands: &'static [&'static str],
    /// Where they live.
    pub locations: &'static [&'static str],
    /// Languages they speak.
    pub languages: &'static [&'static str],
    /// What they are into.
    pub interests: &'static [&'static str],
    /// What they care about.
    pub values: &'static [&'static str],
    /// What they want.
    pub goals: &'static [&'static str],
    /// What gets in their way.
    pub pain_points: &'static [&'static str],
    /// Estimated number of people.
    pub size: i64,
}

/// The agency-wide programme every brand's community team takes.
pub const AGENCY_PROGRAMME: (&str, &str) = (
    "Community management fundamentals",
    "The agency's grounding for anyone who runs a brand community: purpose, rituals, moderation and measuring what matters.",
);

/// The brand programme's modules: title, kind, moveOn, mastery score.
pub const HOST_MODULES: &[(&str, &str, &str, Option<f64>)] = &[
    ("Running a welcoming space", "VIDEO", "COMPLETED", None),
    ("House rules and moderation", "READING", "COMPLETED", None),
    ("Moderation scenarios", "QUIZ", "PASSED", Some(0.8)),
    ("Host a live session", "PRACTICUM", "COMPLETED", None),
];

/// The agency programme's modules.
pub const AGENCY_MODULES: &[(&str, &str, &str, Option<f64>)] = &[
    ("Why small communities work", "VIDEO", "COMPLETED", None),
    ("Rituals and cadence", "WORKSHOP", "COMPLETED", None),
    ("Reading the impact report", "QUIZ", "PASSED", Some(0.7)),
];

const WEEKDAY_EVENINGS: [f64; 7] = [0.9, 1.0, 1.1, 1.1, 0.9, 1.3, 1.4];
const OFFICE_HOURS: [f64; 7] = [1.2, 1.4, 1.4, 1.3, 1.0, 0.15, 0.1];

/// The brands, in the order they are loaded and listed.
pub const BRANDS: &[Brand] = &[
    Brand {
        slug: "demo-verdant-threads",
        code: "vt",
        name: "Verdant Threads",
        description: "A sustainable-fashion label: organic and recycled fabrics, repair for life, small runs.",
        website: "https://verdant-threads.example.com",
        currency: "EUR",
        order_value: 72.0,
        order_rate: 0.24,
        customers: 1100,
        audience: Audience {
            name: "Conscious wardrobe builders",
            description: "People who buy fewer, better clothes and want them to last; many mend and swap.",
            age_bands: &["25-34", "35-44"],
            locations: &["DE", "NL", "FR", "AT"],
            languages: &["en", "de"],
            interests: &["mending", "capsule wardrobes", "clothing swaps", "natural dyes"],
            values: &["sustainability", "craft", "transparency"],
            goals: &["a wardrobe that lasts", "learning to repair"],
            pain_points: &["greenwashing", "poor fit online", "repairs are hard to find"],
            size: 180_000,
        },
        tags: &[
            Tag { key: "repair", label: "Repair and mending", kind: "INTEREST", keywords: &["repair", "mend", "darning", "patch"] },
            Tag { key: "greenwashing", label: "Distrust of green claims", kind: "PAIN_POINT", keywords: &["greenwashing", "claims", "certified", "proof"] },
            Tag { key: "fit", label: "Fit and sizing", kind: "PAIN_POINT", keywords: &["fit", "size", "sizing", "returns"] },
            Tag { key: "swap", label: "Swapping and second life", kind: "VALUE", keywords: &["swap", "second-hand", "resale", "pre-loved"] },
            Tag { key: "capsule", label: "Capsule wardrobe", kind: "GOAL", keywords: &["capsule", "fewer", "versatile", "outfits"] },
        ],
        findings: &[
            ("I would pay more if someone showed me how to repair the seams myself.", 0.4),
            ("Every brand says it is sustainable; I want proof of where the cotton comes from.", -0.5),
            ("Sizing is my biggest problem, I return half of what I order online.", -0.6),
            ("Our swap evenings are the best part of my month.", 0.8),
            ("I am building a capsule wardrobe with fewer, versatile pieces.", 0.5),
            ("Darning workshops sell out in hours in my city.", 0.6),
            ("Certified organic claims feel like greenwashing without the supply chain.", -0.4),
            ("I found my favourite coat pre-loved and had it patched.", 0.7),
            ("Fit guides with real people's measurements would stop my returns.", 0.1),
            ("I follow mending accounts on Instagram but want a place to ask questions.", 0.3),
            ("Resale of my old pieces through the brand would make me buy new ones.", 0.4),
            ("Outfits from ten pieces: I want ideas, not more products.", 0.3),
        ],
        places: &[
            Place { platform: "REDDIT", name: "r/Visiblemending", url: "https://www.reddit.com/r/Visiblemending", members: 310_000, posts_per_week: 420.0, brand_present: false, self_promotion: false, audience_share: 0.35 },
            Place { platform: "DISCORD", name: "Slow Fashion Collective", url: "https://discord.gg/slowfashion-demo", members: 8_200, posts_per_week: 900.0, brand_present: false, self_promotion: false, audience_share: 0.25 },
            Place { platform: "FACEBOOK_GROUP", name: "Capsule Wardrobe Europe", url: "https://www.facebook.com/groups/capsule-demo", members: 64_000, posts_per_week: 150.0, brand_present: false, self_promotion: false, audience_share: 0.2 },
            Place { platform: "IN_PERSON", name: "City swap evenings", url: "https://verdant-threads.example.com/swaps", members: 900, posts_per_week: 2.0, brand_present: true, self_promotion: true, audience_share: 0.1 },
        ],
        communities: &[
            Community {
                code: "mend",
                name: "Mend & Make Circle",
                purpose: "Members learn to repair and restyle what they own, and share the results.",
                kind: "LIFESTYLE",
                platform: "DISCORD",
                url: "https://discord.gg/mend-and-make-demo",
                time_zone: "Europe/Berlin",
                target_size: 300,
                members: 230,
                channels: &[("welcome", "ANNOUNCEMENTS"), ("repair-help", "FORUM"), ("show-and-tell", "CHAT"), ("workshops", "EVENTS"), ("ideas-for-us", "FEEDBACK")],
                weekdays: WEEKDAY_EVENINGS,
                peak_hours: &[12, 19, 20, 21],
                reward: ("Master mender", "BADGE", "Given to members who help others repair, month after month."),
            },
            Community {
                code: "insiders",
                name: "Verdant Insiders",
                purpose: "Loyal customers shape the next collections before anyone else sees them.",
                kind: "PRODUCT",
                platform: "CIRCLE",
                url: "https://insiders.verdant-threads.example.com",
                time_zone: "Europe/Amsterdam",
                target_size: 250,
                members: 190,
                channels: &[("announcements", "ANNOUNCEMENTS"), ("first-looks", "FORUM"), ("fit-lab", "CHAT"), ("wishlist", "FEEDBACK")],
                weekdays: WEEKDAY_EVENINGS,
                peak_hours: &[8, 13, 20],
                reward: ("Early look", "EARLY_ACCESS", "Members who give the most useful fit notes see samples first."),
            },
        ],
        poll_options: &["Visible mending", "Sashiko", "Patching denim"],
        offer_code: "REPAIRKIT",
        published: &[
            ("POST", "Welcome to repair month", "Four weeks, four techniques. Share a before photo of something you want to fix."),
            ("QUESTION", "What is the one piece you would never give up?", "Tell us why it has lasted, and what you have done to keep it going."),
            ("POLL", "Which workshop next?", "Vote for the technique we teach live next month."),
            ("EVENT", "Live darning session", "Bring a sock with a hole; we will fix it together on camera."),
        ],
        launch: ("Autumn capsule launch", "The autumn capsule: eight pieces, thirty outfits, shown first to the community."),
        upcoming: &[
            ("EARLY_ACCESS", "First look at the autumn capsule", "Insiders see the eight pieces a week before the shop."),
            ("UGC_PROMPT", "Style one piece three ways", "Post three outfits built around one piece you own."),
            ("AMA", "Ask our head of sourcing anything", "Where the wool comes from, who spins it and what it costs."),
            ("EXCLUSIVE_OFFER", "Repair kit for members", "A members-only repair kit with the launch."),
        ],
        feedback: &[
            ("Fit guide with real measurements", "FEATURE_REQUEST"),
            ("Repair service turnaround is too slow", "COMPLAINT"),
            ("The darning session was brilliant", "PRAISE"),
            ("Can you publish where the linen is woven?", "QUESTION"),
            ("Resale programme for old pieces", "FEATURE_REQUEST"),
            ("Discord link in the newsletter is broken", "BUG"),
        ],
        programme: ("Verdant community host certification", "What every Verdant host needs before running a workshop or an AMA."),
        team: &[("Mara Keller", "Community lead"), ("Jonas Vogt", "Customer care"), ("Ines Duarte", "Product designer"), ("Lotte de Vries", "Social media"), ("Paul Schreiber", "Repair atelier")],
    },
    Brand {
        slug: "demo-ridgeline-gear",
        code: "rg",
        name: "Ridgeline Gear",
        description: "An outdoor-gear maker: lightweight packs, shelters and layers, tested on long trails.",
        website: "https://ridgeline-gear.example.com",
        currency: "USD",
        order_value: 118.0,
        order_rate: 0.18,
        customers: 1200,
        audience: Audience {
            name: "Weekend backpackers",
            description: "People who spend most free weekends on trail and plan one long trip a year.",
            age_bands: &["25-34", "35-44", "45-54"],
            locations: &["US", "CA"],
            languages: &["en"],
            interests: &["ultralight", "thru-hiking", "trail maintenance", "gear repair"],
            values: &["leave no trace", "self-reliance", "durability"],
            goals: &["a lighter base weight", "a first thru-hike"],
            pain_points: &["gear that fails on trail", "weight versus price", "conflicting advice"],
            size: 420_000,
        },
        tags: &[
            Tag { key: "weight", label: "Base weight", kind: "GOAL", keywords: &["ultralight", "grams", "base weight", "lighter"] },
            Tag { key: "durability", label: "Gear durability", kind: "PAIN_POINT", keywords: &["failed", "broke", "torn", "durable"] },
            Tag { key: "trip", label: "Trip planning", kind: "INTEREST", keywords: &["permit", "route", "resupply", "itinerary"] },
            Tag { key: "lnt", label: "Leave no trace", kind: "VALUE", keywords: &["leave no trace", "trail maintenance", "stewardship"] },
            Tag { key: "advice", label: "Conflicting advice", kind: "PAIN_POINT", keywords: &["advice", "reviews", "conflicting", "sponsored"] },
        ],
        findings: &[
            ("My pack strap tore on day three of the Colorado Trail.", -0.7),
            ("I shaved 900 grams off my base weight this year and want to go lighter.", 0.6),
            ("Every review is sponsored; I trust people I hike with.", -0.4),
            ("Resupply planning for long routes is where I need help.", 0.1),
            ("We do a trail maintenance day every spring and would love gear sponsors.", 0.5),
            ("The tent was durable through a week of storms.", 0.8),
            ("Conflicting advice on quilts versus sleeping bags drives me mad.", -0.3),
            ("I want a route planning group for first thru-hikes.", 0.4),
            ("Lighter is great until the gear broke halfway through.", -0.5),
            ("Leave no trace should be part of every gear launch.", 0.3),
            ("Permit season is stressful; a shared calendar would help.", 0.0),
            ("Honest long-term reviews from real hikers would sell me.", 0.4),
        ],
        places: &[
            Place { platform: "REDDIT", name: "r/Ultralight", url: "https://www.reddit.com/r/Ultralight", members: 900_000, posts_per_week: 700.0, brand_present: false, self_promotion: false, audience_share: 0.3 },
            Place { platform: "DISCOURSE", name: "Long Trail Forum", url: "https://forum.longtrail-demo.org", members: 22_000, posts_per_week: 300.0, brand_present: false, self_promotion: false, audience_share: 0.25 },
            Place { platform: "FACEBOOK_GROUP", name: "Backpacking Beginners", url: "https://www.facebook.com/groups/backpacking-demo", members: 150_000, posts_per_week: 500.0, brand_present: false, self_promotion: true, audience_share: 0.2 },
            Place { platform: "IN_PERSON", name: "Trail maintenance days", url: "https://ridgeline-gear.example.com/trail-days", members: 600, posts_per_week: 1.0, brand_present: true, self_promotion: true, audience_share: 0.05 },
        ],
        communities: &[
            Community {
                code: "crew",
                name: "Ridgeline Trail Crew",
                purpose: "Hikers plan trips together, share conditions and give back to the trails they use.",
                kind: "LIFESTYLE",
                platform: "DISCOURSE",
                url: "https://crew.ridgeline-gear.example.com",
                time_zone: "America/Denver",
                target_size: 400,
                members: 260,
                channels: &[("trip-reports", "FORUM"), ("conditions", "CHAT"), ("trail-days", "EVENTS"), ("announcements", "ANNOUNCEMENTS"), ("gear-wishes", "FEEDBACK")],
                weekdays: [0.8, 0.9, 1.0, 1.1, 1.3, 1.1, 0.9],
                peak_hours: &[7, 12, 19, 20],
                reward: ("Trail steward", "BADGE", "For members who organise or join trail maintenance and share conditions."),
            },
            Community {
                code: "lab",
                name: "Gear Lab Testers",
                purpose: "Experienced hikers test prototypes on real trips and report what fails.",
                kind: "PRODUCT",
                platform: "SLACK",
                url: "https://ridgeline-gear-lab.slack.com",
                time_zone: "America/Los_Angeles",
                target_size: 150,
                members: 150,
                channels: &[("prototypes", "FORUM"), ("field-notes", "CHAT"), ("lab-news", "ANNOUNCEMENTS"), ("bug-reports", "FEEDBACK")],
                weekdays: [1.2, 1.2, 1.1, 1.1, 1.0, 0.7, 0.6],
                peak_hours: &[9, 12, 18],
                reward: ("Field tester", "PERK", "Prototype of the season for the most thorough field notes."),
            },
        ],
        poll_options: &["Ridgeline 40 pack", "Trekking-pole shelter", "Alpha fleece"],
        offer_code: "CREW40",
        published: &[
            ("POST", "Spring trail days are on", "Six trail maintenance days across three states; sign up in #trail-days."),
            ("QUESTION", "What failed on your last trip?", "Tell us what broke and where; the lab reads every answer."),
            ("POLL", "Which prototype should we field-test first?", "Vote for the next thing our testers take out."),
            ("CHALLENGE", "The 100-gram challenge", "Cut 100 grams from your kit this month and show how."),
        ],
        launch: ("Ridgeline 40 pack launch", "The new 40-litre pack, designed with the Gear Lab, launched to the crew first."),
        upcoming: &[
            ("EARLY_ACCESS", "Ridgeline 40: crew pre-order", "Crew members order the pack a week early."),
            ("EVENT", "Pack fitting night", "Fit the new pack with our designers, online."),
            ("QUESTION", "Your dream trip for next season", "Where are you going, and what will you carry?"),
            ("SPOTLIGHT", "Tester of the month", "The field notes that changed the pack's hip belt."),
        ],
        feedback: &[
            ("Hip belt pockets too small for a phone", "FEATURE_REQUEST"),
            ("Zipper failed after two weeks", "BUG"),
            ("Warranty replacement was fast, thank you", "PRAISE"),
            ("Will the new pack come in a short torso size?", "QUESTION"),
            ("Shipping to Canada is too expensive", "COMPLAINT"),
            ("Repair kit for the shelter", "FEATURE_REQUEST"),
        ],
        programme: ("Ridgeline crew lead certification", "Safety, moderation and hosting for the people who lead Ridgeline trips and sessions."),
        team: &[("Dana Whitfield", "Community manager"), ("Marco Ruiz", "Gear lab engineer"), ("Priya Natarajan", "Customer experience"), ("Tom Becker", "Outdoor programmes"), ("Alex Kim", "Content producer")],
    },
    Brand {
        slug: "demo-ledgerly",
        code: "lg",
        name: "Ledgerly",
        description: "B2B software for finance teams: close the books faster with automated reconciliation.",
        website: "https://ledgerly.example.com",
        currency: "USD",
        order_value: 640.0,
        order_rate: 0.28,
        customers: 900,
        audience: Audience {
            name: "Finance operations leads",
            description: "Controllers and finance-ops leads at companies of 50-500 people who own the month-end close.",
            age_bands: &["30-39", "40-49"],
            locations: &["US", "GB", "CA"],
            languages: &["en"],
            interests: &["month-end close", "automation", "audit readiness", "spreadsheets"],
            values: &["accuracy", "peer learning"],
            goals: &["close in five days", "fewer manual reconciliations"],
            pain_points: &["manual reconciliation", "audit stress", "tool sprawl"],
            size: 95_000,
        },
        tags: &[
            Tag { key: "close", label: "Month-end close", kind: "GOAL", keywords: &["close", "month-end", "days to close"] },
            Tag { key: "recon", label: "Manual reconciliation", kind: "PAIN_POINT", keywords: &["reconciliation", "manual", "spreadsheet", "matching"] },
            Tag { key: "audit", label: "Audit readiness", kind: "PAIN_POINT", keywords: &["audit", "auditors", "controls", "evidence"] },
            Tag { key: "peers", label: "Learning from peers", kind: "VALUE", keywords: &["peers", "benchmark", "other controllers"] },
            Tag { key: "automation", label: "Automation", kind: "INTEREST", keywords: &["automation", "automate", "integration", "api"] },
        ],
        findings: &[
            ("We still close in twelve days because reconciliation is manual.", -0.6),
            ("I want to benchmark our close against other controllers.", 0.4),
            ("Audit season means weeks of pulling evidence from spreadsheets.", -0.7),
            ("Automation of bank matching saved my team two days a month.", 0.8),
            ("Peers in my city meet for breakfast; it is the best advice I get.", 0.6),
            ("Every vendor promises a five-day close; I want to hear from other controllers.", -0.2),
            ("Our auditors asked for controls documentation we did not have.", -0.5),
            ("A spreadsheet template library from peers would be gold.", 0.5),
            ("The API integration with our ERP took a week, not a day.", -0.3),
            ("Month-end close checklists shared by peers changed our process.", 0.6),
            ("Matching intercompany transactions is still manual.", -0.4),
            ("I would join office hours on automation recipes.", 0.4),
        ],
        places: &[
            Place { platform: "SLACK", name: "Controllers Roundtable", url: "https://controllers-roundtable-demo.slack.com", members: 6_500, posts_per_week: 350.0, brand_present: false, self_promotion: false, audience_share: 0.35 },
            Place { platform: "REDDIT", name: "r/Accounting", url: "https://www.reddit.com/r/Accounting", members: 1_100_000, posts_per_week: 1_500.0, brand_present: false, self_promotion: false, audience_share: 0.15 },
            Place { platform: "FORUM", name: "Finance Ops Forum", url: "https://finops-forum-demo.org", members: 14_000, posts_per_week: 120.0, brand_present: true, self_promotion: false, audience_share: 0.2 },
            Place { platform: "IN_PERSON", name: "Close Club breakfasts", url: "https://ledgerly.example.com/close-club", members: 400, posts_per_week: 1.0, brand_present: true, self_promotion: true, audience_share: 0.05 },
        ],
        communities: &[
            Community {
                code: "guild",
                name: "Ledgerly Ops Guild",
                purpose: "Finance-ops leads trade close checklists, automation recipes and audit lessons.",
                kind: "PROFESSIONAL",
                platform: "SLACK",
                url: "https://ledgerly-guild.slack.com",
                time_zone: "America/New_York",
                target_size: 300,
                members: 220,
                channels: &[("close-week", "CHAT"), ("recipes", "FORUM"), ("office-hours", "EVENTS"), ("news", "ANNOUNCEMENTS"), ("product-ideas", "FEEDBACK")],
                weekdays: OFFICE_HOURS,
                peak_hours: &[9, 11, 14, 16],
                reward: ("Recipe author", "SHOUT_OUT", "A shout-out in the newsletter for members whose recipes others use."),
            },
            Community {
                code: "clinic",
                name: "Close Faster Clinic",
                purpose: "Controllers work through a faster close together, one month at a time.",
                kind: "PROFESSIONAL",
                platform: "MIGHTY_NETWORKS",
                url: "https://close-faster.mn.co",
                time_zone: "Europe/London",
                target_size: 200,
                members: 170,
                channels: &[("this-month", "FORUM"), ("clinic-sessions", "EVENTS"), ("announcements", "ANNOUNCEMENTS"), ("feedback", "FEEDBACK")],
                weekdays: OFFICE_HOURS,
                peak_hours: &[8, 10, 13, 15],
                reward: ("Five-day closer", "BADGE", "For members who report a close of five days or less."),
            },
        ],
        poll_options: &["Bank matching rules", "Accrual schedules", "Audit evidence packs"],
        offer_code: "GUILDPREVIEW",
        published: &[
            ("POST", "The close checklist, version 3", "The guild's checklist, updated with your notes. Download and adapt."),
            ("QUESTION", "How many days does your close take?", "Share your number and the one step that slows you down."),
            ("POLL", "Next office-hours topic", "Vote for the automation recipe we build live."),
            ("EVENT", "Audit readiness clinic", "An hour with a former auditor on controls evidence."),
        ],
        launch: ("Intercompany matching launch", "Automated intercompany matching, previewed with the guild before general release."),
        upcoming: &[
            ("EARLY_ACCESS", "Intercompany matching preview", "Guild members switch it on a month before everyone else."),
            ("AMA", "Ask the product team about matching", "Bring your messiest intercompany cases."),
            ("QUESTION", "Your worst reconciliation story", "Tell it; the best ones shape the roadmap."),
            ("EVENT", "Close Club breakfast, New York", "Breakfast with twenty controllers, no slides."),
        ],
        feedback: &[
            ("Export reconciliations to PDF for auditors", "FEATURE_REQUEST"),
            ("Bank feed for a regional bank keeps disconnecting", "BUG"),
            ("Office hours are the most useful hour of my month", "PRAISE"),
            ("Does matching work with multiple currencies?", "QUESTION"),
            ("Onboarding took longer than promised", "COMPLAINT"),
            ("Templates for the close checklist in our ERP", "FEATURE_REQUEST"),
        ],
        programme: ("Ledgerly guild facilitator certification", "How to run office hours and clinics that members come back to."),
        team: &[("Rachel Osei", "Head of community"), ("Daniel Park", "Solutions engineer"), ("Sophie Laurent", "Customer success"), ("Ben Adler", "Product marketing"), ("Grace Liu", "Education lead")],
    },
];

/// Given names members are drawn from (with [`FAMILY`]).
pub const GIVEN: &[&str] = &[
    "Alex", "Sam", "Jordan", "Taylor", "Robin", "Kim", "Noa", "Lena", "Mila", "Jonas", "Emil",
    "Ava", "Leo", "Nora", "Finn", "Zoe", "Iris", "Omar", "Yara", "Ravi", "Maya", "Theo", "Ella",
    "Luca", "Sofia", "Hugo", "Ida", "Kai", "Mina", "Ezra",
];
/// Family names.
pub const FAMILY: &[&str] = &[
    "Berg", "Costa", "Novak", "Silva", "Meyer", "Jensen", "Rossi", "Kowalski", "Moreau", "Okafor",
    "Tanaka", "Haddad", "Larsen", "Fischer", "Garcia", "Nguyen", "Schmidt", "Dubois", "Murphy",
    "Ivanova",
];
