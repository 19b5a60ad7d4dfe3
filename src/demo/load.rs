//! Loads the demo agency phase by phase, each through the API as the person
//! or integration who would do it: the consultant sets up research,
//! communities, campaigns and training; the brand's integration pushes
//! findings, activity, orders, surveys, training results and publishes
//! content; the client user approves content.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rand::Rng;
use serde_json::{json, Value};

use super::{
    client::{text, Gql},
    Account, Options,
};
use crate::{
    auth::Caller,
    demo_story::{
        generate::{self, Person, Stream},
        story::{self, Brand, AGENCY_MODULES, AGENCY_PROGRAMME, BRANDS, HOST_MODULES},
    },
};

/// Counts of what was created, by kind, in the order they are printed.
#[derive(Debug, Default, Clone)]
pub struct Counts(pub BTreeMap<&'static str, u64>);

impl Counts {
    fn add(&mut self, what: &'static str, n: u64) {
        *self.0.entry(what).or_default() += n;
    }
}

/// One brand while it is being loaded.
struct Work {
    brand: &'static Brand,
    index: usize,
    id: String,
    client: Caller,
    client_user: String,
    bot: Caller,
    audience: String,
    communities: Vec<LoadedCommunity>,
}

struct LoadedCommunity {
    id: String,
    /// Channel ids by name.
    channels: Vec<(String, String)>,
    people: Vec<Person>,
    /// Member ids, most engaged first.
    members: Vec<String>,
}

/// The phases, each with its own progress bar.
pub struct Loader<'a> {
    gql: &'a Gql,
    admin: Caller,
    consultant: Caller,
    opts: &'a Options,
    until: DateTime<Utc>,
    bars: MultiProgress,
    pub counts: Counts,
}

const SCOPES: &[&str] = &[
    "INGEST_ACTIVITIES",
    "INGEST_ORDERS",
    "INGEST_SURVEYS",
    "INGEST_TRAINING",
    "INGEST_RESEARCH",
    "PUBLISH_CONTENT",
];

impl<'a> Loader<'a> {
    pub fn new(
        gql: &'a Gql,
        admin: Caller,
        consultant: Caller,
        opts: &'a Options,
        until: DateTime<Utc>,
    ) -> Self {
        Self {
            gql,
            admin,
            consultant,
            opts,
            until,
            bars: MultiProgress::new(),
            counts: Counts::default(),
        }
    }

    fn bar(&self, phase: &str, len: u64) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new(len));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>26} [{bar:32}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(phase.to_string());
        bar
    }

    async fn run(&self, who: &Caller, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.gql.run(who, query, variables).await
    }

    /// Runs `field(input: $input) { id }` as `who`: the new object's id.
    async fn create(
        &self,
        who: &Caller,
        field: &str,
        input_type: &str,
        input: Value,
    ) -> anyhow::Result<String> {
        let query =
            format!("mutation($input: {input_type}!) {{ {field}(input: $input) {{ id }} }}");
        let out = self.run(who, &query, json!({ "input": input })).await?;
        text(&out, &format!("/{field}/id"))
    }

    /// Everything, in order.
    pub async fn load(
        &mut self,
        consultant: (&str, &Account),
        clients: &[Account],
    ) -> anyhow::Result<()> {
        let mut work = self.brands(consultant, clients).await?;
        self.research(&mut work).await?;
        self.communities(&mut work).await?;
        self.activity(&mut work).await?;
        self.recognition_and_feedback(&work).await?;
        self.campaigns(&work).await?;
        self.training(&work).await?;
        self.sales(&work).await?;
        self.reports(&work).await
    }

    /// Brands, their client users and consultant assignment, and each
    /// brand's integration with a token.
    async fn brands(
        &mut self,
        consultant: (&str, &Account),
        clients: &[Account],
    ) -> anyhow::Result<Vec<Work>> {
        let bar = self.bar("brands and accounts", 2 * BRANDS.len() as u64);
        let (consultant_id, account) = consultant;
        let mut ids = Vec::new();
        for brand in BRANDS {
            bar.set_message(brand.name);
            let id = self
                .create(
                    &self.admin,
                    "createBrand",
                    "CreateBrandInput",
                    json!({
                        "name": brand.name,
                        "slug": brand.slug,
                        "description": super::description(brand, self.opts.seed),
                        "websiteUrl": brand.website,
                    }),
                )
                .await?;
            self.run(
                &self.admin,
                "mutation($user: ID!, $brand: ID!) { assignConsultant(userId: $user, brandId: $brand) { id } }",
                json!({ "user": consultant_id, "brand": id }),
            )
            .await?;
            ids.push(id);
            self.counts.add("brands", 1);
            bar.inc(1);
        }
        // Signed in again: a session admits the brands assigned when it
        // was admitted.
        self.consultant = self.gql.sign_in(&account.email, &account.password).await?;
        let mut out = Vec::new();
        for (index, ((brand, client), id)) in BRANDS.iter().zip(clients).zip(ids).enumerate() {
            bar.set_message(brand.name);
            let client_user = self
                .create(
                    &self.admin,
                    "createUser",
                    "CreateUserInput",
                    json!({
                        "email": client.email,
                        "displayName": client.name,
                        "role": "CLIENT",
                        "brandId": id,
                        "password": client.password,
                    }),
                )
                .await?;
            let client_caller = self.gql.sign_in(&client.email, &client.password).await?;
            let integration = self.create(&self.consultant, "createIntegration", "CreateIntegrationInput", json!({ "brandId": id, "name": "Shop, LMS and publishing bot", "scopes": SCOPES }))
                .await?;
            let token = self
                .run(
                    &self.consultant,
                    "mutation($id: ID!) { issueIntegrationToken(id: $id, expiresInDays: 1) { token } }",
                    json!({ "id": integration }),
                )
                .await?;
            let bot = self
                .gql
                .admit(&text(&token, "/issueIntegrationToken/token")?)
                .await?;
            self.counts.add("integrations", 1);
            out.push(Work {
                brand,
                index,
                id,
                client: client_caller,
                client_user,
                bot,
                audience: String::new(),
                communities: Vec::new(),
            });
            bar.inc(1);
        }
        bar.finish_with_message("done");
        Ok(out)
    }

    /// The audience, codebook, findings (auto-tagged) and gathering places.
    async fn research(&mut self, work: &mut [Work]) -> anyhow::Result<()> {
        let bar = self.bar("audience research", work.len() as u64);
        for w in work.iter_mut() {
            let b = w.brand;
            bar.set_message(b.name);
            let a = &b.audience;
            w.audience = self
                .create(
                    &self.consultant,
                    "createAudience",
                    "CreateAudienceInput",
                    json!({
                        "brandId": w.id, "name": a.name, "description": a.description,
                        "ageBands": a.age_bands, "locations": a.locations, "languages": a.languages,
                        "interests": a.interests, "values": a.values, "goals": a.goals,
                        "painPoints": a.pain_points, "estimatedSize": a.size,
                    }),
                )
                .await?;
            for tag in b.tags {
                self.create(
                    &self.consultant,
                    "createResearchTag",
                    "CreateResearchTagInput",
                    json!({
                        "brandId": w.id, "key": tag.key, "label": tag.label,
                        "kind": tag.kind, "keywords": tag.keywords,
                    }),
                )
                .await?;
            }
            let rows = generate::findings(self.opts.seed, w.index, b, self.until);
            let n = self
                .gql
                .ingest(
                    &w.bot,
                    "ingestFindings",
                    "IngestFindingsInput",
                    json!({ "audienceId": w.audience }),
                    &rows,
                    |_| {},
                )
                .await?;
            self.counts.add("research findings", n);
            for place in b.places {
                self.create(&self.consultant, "createGatheringPlace", "CreateGatheringPlaceInput", json!({
                        "audienceId": w.audience, "platform": place.platform, "name": place.name,
                        "url": place.url, "memberCount": place.members, "postsPerWeek": place.posts_per_week,
                        "brandPresent": place.brand_present, "selfPromotionAllowed": place.self_promotion,
                        "audienceShare": place.audience_share,
                    }))
                .await?;
            }
            self.counts.add("audiences", 1);
            self.counts.add("gathering places", b.places.len() as u64);
            bar.inc(1);
        }
        bar.finish_with_message("done");
        Ok(())
    }

    /// Communities with their channels, opened (`ACTIVE`).
    async fn communities(&mut self, work: &mut [Work]) -> anyhow::Result<()> {
        let total = work.iter().map(|w| w.brand.communities.len() as u64).sum();
        let bar = self.bar("communities", total);
        for w in work.iter_mut() {
            for (c, community) in w.brand.communities.iter().enumerate() {
                bar.set_message(community.name);
                // No quiet hours until the history is published (a slot
                // must be in the future, and the history is published
                // now); the policy gets its quiet hours afterwards.
                let id = self
                    .create(
                        &self.consultant,
                        "createCommunity",
                        "CreateCommunityInput",
                        json!({
                            "brandId": w.id, "name": community.name, "purpose": community.purpose,
                            "kind": community.kind, "platform": community.platform,
                            "platformUrl": community.url, "targetSize": community.target_size,
                            "timeZone": community.time_zone, "audienceId": w.audience,
                            "cadence": { "maxPromptsPerWeek": 3, "minGapHours": 24 },
                        }),
                    )
                    .await?;
                let mut channels = Vec::new();
                for (name, kind) in community.channels {
                    let ch = self
                        .create(
                            &self.consultant,
                            "createChannel",
                            "CreateChannelInput",
                            json!({
                                "communityId": id, "name": name, "kind": kind,
                                "externalId": format!("{}-{name}", community.code),
                            }),
                        )
                        .await?;
                    channels.push((name.to_string(), ch));
                }
                for status in ["SETTING_UP", "ACTIVE"] {
                    self.run(
                        &self.consultant,
                        "mutation($id: ID!, $status: CommunityStatus!) { changeCommunityStatus(id: $id, status: $status) { id } }",
                        json!({ "id": id, "status": status }),
                    )
                    .await?;
                }
                let people = generate::members(
                    self.opts.seed,
                    (w.index, w.brand),
                    (c, community),
                    self.until,
                )?;
                self.counts.add("communities", 1);
                self.counts.add("channels", channels.len() as u64);
                w.communities.push(LoadedCommunity {
                    id,
                    channels,
                    people,
                    members: Vec::new(),
                });
                bar.inc(1);
            }
        }
        bar.finish_with_message("done");
        Ok(())
    }

    /// Eighteen months of activity, pushed by each brand's integration
    /// (members are created from their first activity, which is their
    /// joining); then each community's members, most engaged first.
    async fn activity(&mut self, work: &mut [Work]) -> anyhow::Result<()> {
        let total = work
            .iter()
            .flat_map(|w| &w.communities)
            .flat_map(|c| &c.people)
            .map(|p| p.activities.len() as u64)
            .sum();
        let bar = self.bar("community activity", total);
        for w in work.iter_mut() {
            for (community, loaded) in w.brand.communities.iter().zip(w.communities.iter_mut()) {
                bar.set_message(community.name);
                let rows: Vec<Value> = loaded
                    .people
                    .iter()
                    .flat_map(|p| p.activities.iter().cloned())
                    .collect();
                let n = self
                    .gql
                    .ingest(
                        &w.bot,
                        "ingestActivities",
                        "IngestActivitiesInput",
                        json!({ "communityId": loaded.id }),
                        &rows,
                        |n| bar.inc(n),
                    )
                    .await?;
                self.counts.add("activities", n);
                self.counts.add("members", loaded.people.len() as u64);
                let page = self
                    .run(
                        &self.consultant,
                        "query($id: ID!) { communityMembers(communityId: $id, first: 100, orderBy: ENGAGEMENT_DESC) { edges { node { memberId } } } }",
                        json!({ "id": loaded.id }),
                    )
                    .await?;
                loaded.members = page["communityMembers"]["edges"]
                    .as_array()
                    .map(|edges| {
                        edges
                            .iter()
                            .filter_map(|e| e["node"]["memberId"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
            }
        }
        bar.finish_with_message("done");
        Ok(())
    }

    /// A reward programme per community granted to the members it
    /// suggests, and members' feedback, some of it answered and planned.
    async fn recognition_and_feedback(&mut self, work: &[Work]) -> anyhow::Result<()> {
        let bar = self.bar("recognition and feedback", work.len() as u64);
        for w in work {
            bar.set_message(w.brand.name);
            for (community, loaded) in w.brand.communities.iter().zip(&w.communities) {
                let (name, kind, description) = community.reward;
                let programme = self.create(&self.consultant, "createRewardProgramme", "CreateRewardProgrammeInput", json!({
                            "communityId": loaded.id, "name": name, "kind": kind, "description": description,
                            "criteria": { "minActivities": 6, "windowDays": 30, "minLevel": 3 },
                        }))
                .await?;
                let suggested = self
                    .run(
                        &self.consultant,
                        "query($id: ID!) { suggestedRecipients(programmeId: $id, first: 5) { edges { node { memberId } } } }",
                        json!({ "id": programme }),
                    )
                    .await?;
                for edge in suggested["suggestedRecipients"]["edges"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    self.run(
                        &self.consultant,
                        "mutation($p: ID!, $m: ID!, $note: String) { grantReward(programmeId: $p, memberId: $m, note: $note) { id } }",
                        json!({ "p": programme, "m": edge["node"]["memberId"], "note": "Thank you for lifting everyone up this month." }),
                    )
                    .await?;
                    self.counts.add("rewards granted", 1);
                }
                self.counts.add("reward programmes", 1);
            }
            for (i, (title, category)) in w.brand.feedback.iter().enumerate() {
                let loaded = &w.communities[i % w.communities.len()];
                let member = loaded.members.get(3 + i * 7).cloned();
                let id = self.create(&self.consultant, "createFeedback", "CreateFeedbackInput", json!({ "communityId": loaded.id, "memberId": member, "title": title, "category": category }))
                .await?;
                if i % 3 != 2 {
                    self.run(
                        &self.consultant,
                        "mutation($id: ID!, $answer: String!) { answerFeedback(id: $id, answer: $answer) { id } }",
                        json!({ "id": id, "answer": "Thank you; the team has read this and we will follow up here." }),
                    )
                    .await?;
                    let path: &[&str] = match i % 3 {
                        0 => &["ACKNOWLEDGED", "PLANNED"],
                        _ => &["ACKNOWLEDGED"],
                    };
                    for status in path {
                        self.run(
                            &self.consultant,
                            "mutation($id: ID!, $status: FeedbackStatus!) { changeFeedbackStatus(id: $id, status: $status) { id } }",
                            json!({ "id": id, "status": status }),
                        )
                        .await?;
                    }
                }
                self.counts.add("feedback items", 1);
            }
            bar.inc(1);
        }
        bar.finish_with_message("done");
        Ok(())
    }

    /// An always-on campaign whose items were approved by the client and
    /// published over the last months, with their results and the
    /// members who answered them; and an upcoming launch with items
    /// scheduled, in review and in draft.
    async fn campaigns(&mut self, work: &[Work]) -> anyhow::Result<()> {
        let total = work
            .iter()
            .map(|w| (w.brand.published.len() + w.brand.upcoming.len()) as u64)
            .sum();
        let bar = self.bar("content campaigns", total);
        let now = Utc::now();
        // Published history: create, submit, approve; then publish round by
        // round (one item per community at a time, so the cadence guard
        // sees each community's slots one by one).
        let mut rounds: Vec<Vec<(usize, usize, String, usize)>> = Vec::new();
        let mut campaigns = Vec::new();
        for (wi, w) in work.iter().enumerate() {
            let campaign = self.create(&self.consultant, "createCampaign", "CreateCampaignInput", json!({
                        "brandId": w.id, "name": "Community rhythm", "objective": "ENGAGEMENT",
                        "description": "The weekly rhythm of questions, polls and events that keeps members talking.",
                        "startsAt": (self.until - Duration::days(150)).to_rfc3339(),
                        "endsAt": (now + Duration::days(60)).to_rfc3339(),
                        "communityIds": w.communities.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
                        "targets": [{ "metric": "REACH", "value": 400.0 }, { "metric": "REPLIES", "value": 40.0 }],
                    }))
                .await?;
            self.run(
                &self.consultant,
                "mutation($id: ID!) { setCampaignStatus(id: $id, status: ACTIVE) { id } }",
                json!({ "id": campaign }),
            )
            .await?;
            for (k, idea) in w.brand.published.iter().enumerate() {
                let c = k % w.communities.len();
                let published_at = self.published_at(w, c, k);
                let item = self
                    .content_item(w, &campaign, c, idea, published_at)
                    .await?;
                self.approve(w, &item).await?;
                let round = k / w.communities.len();
                if rounds.len() <= round {
                    rounds.push(Vec::new());
                }
                rounds[round].push((wi, c, item, k));
                bar.inc(1);
            }
            campaigns.push(campaign);
            self.counts.add("campaigns", 1);
        }
        let mut published: Vec<(usize, usize, String, DateTime<Utc>, &'static str)> = Vec::new();
        for round in rounds {
            let slot = Utc::now() + Duration::milliseconds(1500);
            for (wi, _, item, _) in &round {
                self.run(
                    &self.consultant,
                    "mutation($id: ID!, $at: DateTime) { scheduleContent(id: $id, at: $at) { id } }",
                    json!({ "id": item, "at": slot.to_rfc3339() }),
                )
                .await
                .map_err(|e| anyhow::anyhow!("{} : {e}", work[*wi].brand.name))?;
            }
            let wait = (slot - Utc::now()).to_std().unwrap_or_default()
                + std::time::Duration::from_millis(100);
            tokio::time::sleep(wait).await;
            for (wi, w) in work.iter().enumerate() {
                let claimed = self
                    .run(&w.bot, "mutation { claimDueContent(limit: 10, leaseSeconds: 300) { itemId leaseId } }", json!({}))
                    .await?;
                for claim in claimed["claimDueContent"].as_array().into_iter().flatten() {
                    let claimed_item = claim["itemId"].as_str().unwrap_or_default();
                    let Some((_, c, item, k)) =
                        round.iter().find(|r| r.0 == wi && r.2 == claimed_item)
                    else {
                        continue;
                    };
                    let at = self.published_at(w, *c, *k);
                    self.run(
                        &w.bot,
                        "mutation($item: ID!, $lease: ID!, $post: String!, $url: String, $at: DateTime) { reportPublished(itemId: $item, leaseId: $lease, externalPostId: $post, url: $url, publishedAt: $at) { id } }",
                        json!({
                            "item": item, "lease": claim["leaseId"], "post": format!("post-{}-{k}", w.brand.code),
                            "url": format!("{}/posts/{}-{k}", w.brand.communities[*c].url, w.brand.code),
                            "at": at.to_rfc3339(),
                        }),
                    )
                    .await?;
                    published.push((wi, *c, item.clone(), at, w.brand.published[*k].0));
                    self.counts.add("content published", 1);
                }
            }
        }
        self.results(work, &published).await?;
        // The history is out: quiet hours from 22:00 to 07:00 from now on.
        for w in work {
            for loaded in &w.communities {
                self.run(
                    &self.consultant,
                    "mutation($id: ID!, $input: UpdateCommunityInput!) { updateCommunity(id: $id, input: $input) { id } }",
                    json!({ "id": loaded.id, "input": { "cadence": { "maxPromptsPerWeek": 3, "minGapHours": 24, "quietHoursStart": 22, "quietHoursEnd": 7 } } }),
                )
                .await?;
            }
        }
        // The upcoming launch.
        for w in work {
            let starts = now + Duration::days(7);
            let campaign = self.create(&self.consultant, "createCampaign", "CreateCampaignInput", json!({
                        "brandId": w.id, "name": w.brand.launch.0, "description": w.brand.launch.1, "objective": "LAUNCH",
                        "startsAt": starts.to_rfc3339(), "endsAt": (starts + Duration::days(30)).to_rfc3339(),
                        "communityIds": w.communities.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
                        "approvalLeadHours": 48,
                    }))
                .await?;
            self.counts.add("campaigns", 1);
            for (k, idea) in w.brand.upcoming.iter().enumerate() {
                let c = k % w.communities.len();
                let slots = self
                    .run(
                        &self.consultant,
                        "query($id: ID!, $after: DateTime) { suggestSlots(communityId: $id, after: $after, count: 1, prompt: true) }",
                        json!({ "id": w.communities[c].id, "after": (starts + Duration::days(3 * k as i64)).to_rfc3339() }),
                    )
                    .await?;
                let slot = text(&slots, "/suggestSlots/0")?;
                let slot_at = DateTime::parse_from_rfc3339(&slot)?.with_timezone(&Utc);
                let item = self.content_item(w, &campaign, c, idea, slot_at).await?;
                // Two scheduled, one waiting for the client, one draft.
                if k < 3 {
                    self.submit(&item).await?;
                }
                if k < 2 {
                    self.decide(w, &item, true).await?;
                    self.run(
                        &self.consultant,
                        "mutation($id: ID!, $at: DateTime) { scheduleContent(id: $id, at: $at) { id } }",
                        json!({ "id": item, "at": slot }),
                    )
                    .await?;
                }
                bar.inc(1);
            }
        }
        bar.finish_with_message("done");
        Ok(())
    }

    /// When the `k`-th published idea went out: spread over the last 120
    /// days, at the community's first peak hour.
    fn published_at(&self, w: &Work, c: usize, k: usize) -> DateTime<Utc> {
        let peak = w.brand.communities[c].peak_hours[0] as i64;
        self.until - Duration::days(120) + Duration::days(28 * k as i64) + Duration::hours(peak)
    }

    async fn content_item(
        &mut self,
        w: &Work,
        campaign: &str,
        c: usize,
        idea: &story::Idea,
        at: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let (kind, title, body) = *idea;
        let loaded = &w.communities[c];
        let channel = loaded.channels.iter().find(|(name, _)| {
            let kind_of = w.brand.communities[c]
                .channels
                .iter()
                .find(|(n, _)| n == name)
                .map(|x| x.1);
            match kind {
                "EVENT" | "AMA" => kind_of == Some("EVENTS"),
                _ => kind_of == Some("ANNOUNCEMENTS"),
            }
        });
        let host_member = loaded.members.first();
        let fields = match kind {
            "POLL" => json!({ "pollOptions": w.brand.poll_options }),
            "EVENT" => json!({
                "startsAt": (at + Duration::days(7)).to_rfc3339(),
                "endsAt": (at + Duration::days(7) + Duration::minutes(90)).to_rfc3339(),
                "link": format!("{}/events", w.brand.website), "capacity": 40,
            }),
            "AMA" => json!({
                "startsAt": (at + Duration::days(5)).to_rfc3339(),
                "endsAt": (at + Duration::days(5) + Duration::minutes(60)).to_rfc3339(),
                "host": w.brand.team[0].0, "hostMemberId": host_member,
            }),
            "EXCLUSIVE_OFFER" => {
                json!({ "offerCode": w.brand.offer_code, "discountPercent": 15.0 })
            }
            _ => json!({}),
        };
        let created = self.create(&self.consultant, "createContentItem", "CreateContentItemInput", json!({
                    "campaignId": campaign, "communityId": loaded.id, "channelId": channel.map(|c| &c.1),
                    "kind": kind, "title": title, "body": body, "fields": fields,
                }))
                .await?;
        self.counts.add("content items", 1);
        Ok(created)
    }

    async fn submit(&self, item: &str) -> anyhow::Result<()> {
        self.run(
            &self.consultant,
            "mutation($id: ID!) { submitContentForReview(id: $id) { id } }",
            json!({ "id": item }),
        )
        .await?;
        Ok(())
    }

    /// The client user's decision on version 1.
    async fn decide(&self, w: &Work, item: &str, approve: bool) -> anyhow::Result<()> {
        let field = if approve {
            "approveContent"
        } else {
            "requestContentChanges"
        };
        self.run(
            &w.client,
            &format!("mutation($id: ID!) {{ {field}(id: $id, contentVersion: 1, comment: \"Looks right for our members.\") {{ id }} }}"),
            json!({ "id": item }),
        )
        .await?;
        Ok(())
    }

    async fn approve(&self, w: &Work, item: &str) -> anyhow::Result<()> {
        self.submit(item).await?;
        self.decide(w, item, true).await
    }

    /// Metric observations two and seven days after each published item,
    /// and members answering it.
    async fn results(
        &mut self,
        work: &[Work],
        published: &[(usize, usize, String, DateTime<Utc>, &'static str)],
    ) -> anyhow::Result<()> {
        for (wi, w) in work.iter().enumerate() {
            let mut rng = generate::rng(self.opts.seed, w.index, 0, Stream::Content);
            let mut metrics = Vec::new();
            let mut answers: Vec<Vec<Value>> = vec![Vec::new(); w.communities.len()];
            for (_, c, item, at, kind) in published.iter().filter(|p| p.0 == wi) {
                let loaded = &w.communities[*c];
                let present: Vec<&Person> = loaded
                    .people
                    .iter()
                    .filter(|p| p.joined_at < *at && p.active_until > *at)
                    .collect();
                let reach_final = (present.len() as f64 * rng.random_range(0.55..0.8)).round();
                for (days, share) in [(2, 0.8), (7, 1.0)] {
                    let observed = (*at + Duration::days(days)).min(self.until);
                    let reach = (reach_final * share).round();
                    let mut push = |metric: &str, option: Option<&str>, value: f64| {
                        metrics.push(json!({ "itemId": item, "metric": metric, "option": option, "observedAt": observed.to_rfc3339(), "value": value.round() }));
                    };
                    push("REACH", None, reach);
                    push("REACTIONS", None, reach * 0.22);
                    push("REPLIES", None, reach * 0.07);
                    push("SHARES", None, reach * 0.02);
                    match *kind {
                        "POLL" => {
                            for (o, option) in w.brand.poll_options.iter().enumerate() {
                                push("VOTES", Some(option), reach * [0.2, 0.14, 0.08][o % 3]);
                            }
                        }
                        "EVENT" => {
                            push("RSVPS", None, reach * 0.15);
                            push("ATTENDANCE", None, reach * 0.1);
                        }
                        _ => {}
                    }
                }
                let answering = rng.random_range(6..14).min(present.len());
                for (n, person) in present.iter().take(answering).enumerate() {
                    let when = *at + Duration::minutes(rng.random_range(20..48 * 60));
                    if when >= self.until {
                        continue;
                    }
                    answers[*c].push(json!({
                        "sourceKey": format!("{}-answer-{item}-{n}", person.external_id),
                        "externalId": person.external_id, "platform": w.brand.communities[*c].platform,
                        "kind": "reply", "occurredAt": when.to_rfc3339(), "isReply": true, "contentItemId": item,
                    }));
                }
            }
            let n = self
                .gql
                .ingest(
                    &w.bot,
                    "ingestContentMetrics",
                    "IngestContentMetricsInput",
                    json!({ "brandId": w.id }),
                    &metrics,
                    |_| {},
                )
                .await?;
            self.counts.add("content metric observations", n);
            for (loaded, rows) in w.communities.iter().zip(answers) {
                let n = self
                    .gql
                    .ingest(
                        &w.bot,
                        "ingestActivities",
                        "IngestActivitiesInput",
                        json!({ "communityId": loaded.id }),
                        &rows,
                        |_| {},
                    )
                    .await?;
                self.counts.add("activities", n);
            }
        }
        Ok(())
    }

    /// The agency programme (admin) and each brand's host certification
    /// (consultant); the brand's team enrolled; results pushed by the LMS,
    /// so that some certifications are valid, one expires within the
    /// month, one trainee is half-way and one has not started; certified
    /// members become hosts of a community that requires the
    /// certification.
    async fn training(&mut self, work: &[Work]) -> anyhow::Result<()> {
        let bar = self.bar("team training", work.len() as u64 + 1);
        const PROGRAMME: &str = "mutation($input: CreateTrainingProgrammeInput!) { createTrainingProgramme(input: $input) { id modules { id } } }";
        let modules = |list: &[(&str, &str, &str, Option<f64>)], prefix: &str| -> Vec<Value> {
            list.iter()
                .enumerate()
                .map(|(i, (title, kind, move_on, mastery))| {
                    json!({ "title": title, "kind": kind, "moveOn": move_on, "masteryScore": mastery, "required": true,
                            "activityId": format!("https://lms.example.com/xapi/{prefix}/{}", i + 1) })
                })
                .collect()
        };
        let agency = self
            .run(
                &self.admin,
                PROGRAMME,
                json!({ "input": { "title": AGENCY_PROGRAMME.0, "description": AGENCY_PROGRAMME.1, "modules": modules(AGENCY_MODULES, "fundamentals") } }),
            )
            .await?;
        let agency_id = text(&agency, "/createTrainingProgramme/id")?;
        let agency_modules = ids(&agency["createTrainingProgramme"]["modules"]);
        self.counts.add("training programmes", 1);
        bar.inc(1);
        for w in work {
            bar.set_message(w.brand.name);
            let (title, description) = w.brand.programme;
            let programme = self
                .run(
                    &self.consultant,
                    PROGRAMME,
                    json!({ "input": { "brandId": w.id, "title": title, "description": description, "validityMonths": 12,
                                       "modules": modules(HOST_MODULES, w.brand.slug) } }),
                )
                .await?;
            let programme_id = text(&programme, "/createTrainingProgramme/id")?;
            let host_modules = ids(&programme["createTrainingProgramme"]["modules"]);
            self.counts.add("training programmes", 1);
            let domain = w.brand.website.trim_start_matches("https://");
            let first = &w.communities[0];
            let mut trainees = Vec::new();
            for (i, (name, role)) in w.brand.team.iter().enumerate() {
                let email = format!("{}@{domain}", name.to_lowercase().replace(' ', "."));
                // The community lead is the client user; the next two host
                // in the first community, as members.
                let user = (i == 0).then(|| w.client_user.clone());
                let member = match i {
                    1 | 2 => first.members.get(i - 1).cloned(),
                    _ => None,
                };
                let trainee = self.create(&self.consultant, "createTrainee", "CreateTraineeInput", json!({ "brandId": w.id, "name": name, "email": email, "jobRole": role, "userId": user, "memberId": member }))
                .await?;
                trainees.push((trainee, email, member));
            }
            self.counts.add("trainees", trainees.len() as u64);
            let enroll = |programme: &str, who: Vec<&String>, due: Option<DateTime<Utc>>| json!({ "input": { "programmeId": programme, "traineeIds": who, "dueAt": due.map(|d| d.to_rfc3339()) } });
            const ENROLL: &str = "mutation($input: EnrollTraineesInput!) { enrollTrainees(input: $input) { enrolled } }";
            let on_time: Vec<&String> = trainees.iter().take(4).map(|t| &t.0).collect();
            self.run(
                &self.consultant,
                ENROLL,
                enroll(
                    &programme_id,
                    on_time,
                    Some(Utc::now() + Duration::days(45)),
                ),
            )
            .await?;
            let not_started: Vec<&String> = trainees.iter().skip(4).map(|t| &t.0).collect();
            self.run(
                &self.consultant,
                ENROLL,
                enroll(
                    &programme_id,
                    not_started,
                    Some(Utc::now() + Duration::days(14)),
                ),
            )
            .await?;
            let fundamentals: Vec<&String> = trainees.iter().take(2).map(|t| &t.0).collect();
            self.run(&self.admin, ENROLL, enroll(&agency_id, fundamentals, None))
                .await?;
            self.counts.add("enrollments", trainees.len() as u64 + 2);
            // Completion days before the last day: the lead (expires within
            // the month), the two hosts, one half-way; the last not started.
            let mut rows = Vec::new();
            let mut statement = |email: &str,
                                 module: &str,
                                 verb: &str,
                                 score: Option<f64>,
                                 at: DateTime<Utc>| {
                rows.push(json!({
                    "statementId": statement_id(w.brand.code, rows.len()), "actorEmail": email, "moduleId": module,
                    "verb": verb, "scoreScaled": score, "success": score.map(|s| s >= 0.8), "completion": true,
                    "timestamp": at.to_rfc3339(),
                }));
            };
            for (t, days, done) in [
                (0usize, 350i64, 4usize),
                (1, 200, 4),
                (2, 120, 4),
                (3, 20, 2),
            ] {
                let email = &trainees[t].1;
                for (m, module) in host_modules.iter().enumerate().take(done) {
                    let at = self.until - Duration::days(days) + Duration::days(m as i64);
                    if HOST_MODULES[m].1 == "QUIZ" {
                        if t == 2 {
                            statement(email, module, "FAILED", Some(0.6), at - Duration::hours(3));
                        }
                        statement(email, module, "PASSED", Some(0.9), at);
                    } else {
                        statement(email, module, "COMPLETED", None, at);
                    }
                }
            }
            for (_, email, _) in trainees.iter().take(2) {
                for (m, module) in agency_modules.iter().enumerate() {
                    let at = self.until - Duration::days(300) + Duration::days(m as i64);
                    let passed = AGENCY_MODULES[m].1 == "QUIZ";
                    statement(
                        email,
                        module,
                        if passed { "PASSED" } else { "COMPLETED" },
                        passed.then_some(0.85),
                        at,
                    );
                }
            }
            let n = self
                .gql
                .ingest(
                    &w.bot,
                    "ingestTrainingStatements",
                    "IngestTrainingStatementsInput",
                    json!({ "brandId": w.id }),
                    &rows,
                    |_| {},
                )
                .await?;
            self.counts.add("training statements", n);
            self.run(
                &self.consultant,
                "mutation($c: ID!, $p: ID) { requireCertificationForRole(communityId: $c, role: HOST, programmeId: $p) { role } }",
                json!({ "c": first.id, "p": programme_id }),
            )
            .await?;
            for (_, _, member) in &trainees {
                if let Some(member) = member {
                    self.run(
                        &self.consultant,
                        "mutation($c: ID!, $m: ID!) { setMembership(communityId: $c, memberId: $m, role: HOST) { role } }",
                        json!({ "c": first.id, "m": member }),
                    )
                    .await?;
                }
            }
            bar.inc(1);
        }
        bar.finish_with_message("done");
        Ok(())
    }

    /// Customers (members among them, linked by their community
    /// identity), their orders and their survey answers, pushed by each
    /// brand's shop integration.
    async fn sales(&mut self, work: &[Work]) -> anyhow::Result<()> {
        let mut generated = Vec::new();
        for w in work {
            let members: Vec<(&'static str, &Person)> = w
                .brand
                .communities
                .iter()
                .zip(&w.communities)
                .flat_map(|(c, l)| l.people.iter().map(move |p| (c.platform, p)))
                .collect();
            let customers =
                generate::customers(self.opts.seed, w.index, w.brand, &members, self.until)?;
            let surveys = generate::surveys(self.opts.seed, w.index, &customers, self.until);
            generated.push((customers, surveys));
        }
        let total = generated
            .iter()
            .map(|(c, s)| {
                (c.len() + c.iter().map(|c| c.orders.len()).sum::<usize>() + s.len()) as u64
            })
            .sum();
        let bar = self.bar("sales and surveys", total);
        for (w, (customers, surveys)) in work.iter().zip(generated) {
            bar.set_message(w.brand.name);
            let linked: Vec<Value> = customers
                .iter()
                .map(|c| match &c.member {
                    Some((platform, id)) => json!({ "externalRef": c.reference, "memberPlatform": platform, "memberExternalId": id }),
                    None => json!({ "externalRef": c.reference }),
                })
                .collect();
            let brand = json!({ "brandId": w.id });
            self.gql
                .ingest(
                    &w.bot,
                    "ingestCustomers",
                    "IngestCustomersInput",
                    brand.clone(),
                    &linked,
                    |n| bar.inc(n),
                )
                .await?;
            self.counts.add("customers", linked.len() as u64);
            let orders: Vec<Value> = customers.into_iter().flat_map(|c| c.orders).collect();
            let n = self
                .gql
                .ingest(
                    &w.bot,
                    "ingestOrders",
                    "IngestOrdersInput",
                    brand.clone(),
                    &orders,
                    |n| bar.inc(n),
                )
                .await?;
            self.counts.add("orders", n);
            let n = self
                .gql
                .ingest(
                    &w.bot,
                    "ingestSurveyResponses",
                    "IngestSurveysInput",
                    brand,
                    &surveys,
                    |n| bar.inc(n),
                )
                .await?;
            self.counts.add("survey responses", n);
        }
        bar.finish_with_message("done");
        Ok(())
    }

    /// Each brand's impact report over the last year, frozen: what the
    /// client reads.
    async fn reports(&mut self, work: &[Work]) -> anyhow::Result<()> {
        let bar = self.bar("impact reports", work.len() as u64);
        for w in work {
            bar.set_message(w.brand.name);
            self.run(
                &self.consultant,
                "mutation($b: ID!, $from: DateTime!, $to: DateTime!, $cur: String) { freezeImpactReport(brandId: $b, from: $from, to: $to, currency: $cur, fresh: true) { id } }",
                json!({ "b": w.id, "from": (self.until - Duration::days(365)).to_rfc3339(), "to": self.until.to_rfc3339(), "cur": w.brand.currency }),
            )
            .await?;
            self.counts.add("frozen reports", 1);
            bar.inc(1);
        }
        bar.finish_with_message("done");
        Ok(())
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str().map(str::to_string))
        .collect()
}

/// A statement id (a UUID, as xAPI has it) that follows from its place.
fn statement_id(brand: &str, n: usize) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("hearth demo statement {brand} {n}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}
