//! The community recommendation: a deterministic, explained ranking of
//! community types and platforms for an audience, from its findings and
//! gathering places. Pure arithmetic over the rows given; the README gives
//! the formula and `tests` below work examples by hand.
//!
//! **Community types.** Each tag kind points to one type (`PRODUCT_THEME`
//! and `PAIN_POINT` → `PRODUCT`, `INTEREST` → `LIFESTYLE`, `GOAL` →
//! `PROFESSIONAL`, `VALUE` → `CAUSE`, `PLACE` → `LOCAL`). A tagged finding of
//! weight w with k tags gives w/k to each of its tags. With W the total
//! weight of tagged findings, a type's score is the weight its tags received
//! divided by W: the type scores sum to 1, and a finding's contribution to a
//! type is w·(its tags pointing there)/(k·W).
//!
//! **Platforms** (those a community can be hosted on). For platform p:
//! `0.5·S + 0.2·A + 0.2·F + 0.1·O`, where S is the audience share of p's
//! gathering places (summed, at most 1), A their posts per week over the
//! busiest platform's, F the weight of findings found on p over the weight
//! of findings with any platform, and O the share of p's places where the
//! brand is present or self-promotion is allowed. A place contributes its
//! parts of S, A and O; a finding its part of F.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_graphql::{Enum, SimpleObject, ID};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::community::service::{CommunityKind, Platform};
use crate::research::service::{GatheringPlatform, TagKind};

/// Weight of the audience share in a platform's score.
pub const W_SHARE: f64 = 0.5;
/// Weight of the activity at its places.
pub const W_ACTIVITY: f64 = 0.2;
/// Weight of the findings found there.
pub const W_FINDINGS: f64 = 0.2;
/// Weight of the places where the brand is present or welcome.
pub const W_OPEN: f64 = 0.1;
/// A community type rests on at least this many findings...
pub const TYPE_MIN_FINDINGS: usize = 10;
/// ...from at least this many distinct sources, or it is `INSUFFICIENT`.
pub const TYPE_MIN_SOURCES: usize = 2;
/// A platform rests on at least this many findings and places...
pub const PLATFORM_MIN_EVIDENCE: usize = 3;
/// ...from at least this many kinds of source (each finding source, and
/// gathering places as one), or it is `INSUFFICIENT`.
pub const PLATFORM_MIN_SOURCES: usize = 2;
/// Contributions listed per option; the rest are summed in `remainder`.
pub const LISTED: usize = 10;

/// The community type a tag kind points to.
pub fn type_of(kind: TagKind) -> CommunityKind {
    match kind {
        TagKind::ProductTheme | TagKind::PainPoint => CommunityKind::Product,
        TagKind::Interest => CommunityKind::Lifestyle,
        TagKind::Goal => CommunityKind::Professional,
        TagKind::Value => CommunityKind::Cause,
        TagKind::Place => CommunityKind::Local,
    }
}

/// A tag as the scoring sees it.
#[derive(Debug, Clone)]
pub struct TagRef {
    /// Id.
    pub id: Uuid,
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Kind.
    pub kind: TagKind,
}

/// A finding as the scoring sees it.
#[derive(Debug, Clone)]
pub struct FindingEvidence {
    /// Id.
    pub id: Uuid,
    /// Source name, e.g. `SURVEY`.
    pub source: String,
    /// Where it was found.
    pub platform: Option<GatheringPlatform>,
    /// Weight (> 0).
    pub weight: f64,
    /// Its tags.
    pub tags: Vec<TagRef>,
}

/// A gathering place as the scoring sees it.
#[derive(Debug, Clone)]
pub struct PlaceEvidence {
    /// Id.
    pub id: Uuid,
    /// Platform.
    pub platform: GatheringPlatform,
    /// Estimated share of the audience there, 0..1.
    pub audience_share: Option<f64>,
    /// Posts per week.
    pub posts_per_week: Option<f64>,
    /// Whether the brand is present.
    pub brand_present: bool,
    /// Whether self-promotion is allowed.
    pub self_promotion_allowed: Option<bool>,
}

/// Whether an option rests on enough evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
pub enum ConfidenceLevel {
    /// At or above the documented minimums.
    Sufficient,
    /// Fewer findings or sources than the documented minimum: treat as a hint.
    Insufficient,
}

/// What an option rests on.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct Confidence {
    /// `INSUFFICIENT` below the documented minimums.
    pub level: ConfidenceLevel,
    /// Findings that contributed.
    pub findings: i32,
    /// Gathering places that contributed.
    pub gathering_places: i32,
    /// Distinct kinds of source: finding sources, and gathering places as one.
    pub sources: i32,
}

/// One finding's or gathering place's part of a score.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct Contribution {
    /// The finding, when a finding contributed.
    pub finding_id: Option<ID>,
    /// The gathering place, when a place contributed.
    pub gathering_place_id: Option<ID>,
    /// How much it added to the score.
    pub amount: f64,
    /// Why, e.g. `tags durability, repair` or `audience share 0.30`.
    pub reason: String,
}

/// Contributions not listed one by one.
#[derive(Debug, Clone, Default, SimpleObject, Serialize, Deserialize)]
pub struct Remainder {
    /// How many.
    pub count: i32,
    /// Their sum.
    pub amount: f64,
}

/// A community type, scored.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct TypeOption {
    /// The type.
    pub kind: CommunityKind,
    /// Share of the tagged evidence pointing to it, 0..1.
    pub score: f64,
    /// The largest contributions, largest first; with `remainder` they sum to `score`.
    pub contributions: Vec<Contribution>,
    /// The contributions not listed.
    pub remainder: Remainder,
    /// One sentence on why.
    pub explanation: String,
    /// What it rests on.
    pub confidence: Confidence,
}

/// A platform, scored.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct PlatformOption {
    /// The platform.
    pub platform: Platform,
    /// 0.5·share + 0.2·activity + 0.2·findings + 0.1·openness, 0..1.
    pub score: f64,
    /// The largest contributions, largest first; with `remainder` they sum to `score`.
    pub contributions: Vec<Contribution>,
    /// The contributions not listed.
    pub remainder: Remainder,
    /// One sentence on why.
    pub explanation: String,
    /// What it rests on.
    pub confidence: Confidence,
}

/// A tag behind the proposed purpose.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct TagEvidence {
    /// The tag.
    pub tag_id: ID,
    /// Its key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// Its kind.
    pub kind: TagKind,
    /// Findings carrying it.
    pub findings: i32,
    /// Weight it received (w/k from each finding).
    pub weight: f64,
}

/// Community types and platforms ranked for an audience, with a proposed purpose.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct CommunityRecommendation {
    /// The audience.
    pub audience_id: ID,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// Community types with evidence, best first.
    pub community_types: Vec<TypeOption>,
    /// Platforms with evidence, best first.
    pub platforms: Vec<PlatformOption>,
    /// A purpose statement from the strongest interest, value and goal;
    /// null without any of them.
    pub purpose: Option<String>,
    /// The tags the purpose is built from.
    pub purpose_evidence: Vec<TagEvidence>,
    /// Findings of the audience.
    pub findings: i32,
    /// Of those, with at least one tag.
    pub tagged_findings: i32,
    /// Gathering places of the audience.
    pub gathering_places: i32,
}

impl CommunityRecommendation {
    /// The best-scoring platform.
    pub fn top_platform(&self) -> Option<Platform> {
        self.platforms.first().map(|p| p.platform)
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn kind_word(k: CommunityKind) -> &'static str {
    match k {
        CommunityKind::Product => "product",
        CommunityKind::Lifestyle => "lifestyle",
        CommunityKind::Professional => "professional",
        CommunityKind::Local => "local",
        CommunityKind::Cause => "cause",
    }
}

/// Parts of one option while it is being built.
#[derive(Default)]
struct Parts {
    items: Vec<(Contribution, Uuid)>,
    findings: BTreeSet<Uuid>,
    places: usize,
    sources: BTreeSet<String>,
}

impl Parts {
    fn finding(&mut self, f: &FindingEvidence, amount: f64, reason: String) {
        self.findings.insert(f.id);
        self.sources.insert(f.source.clone());
        self.items.push((
            Contribution {
                finding_id: Some(ID(f.id.to_string())),
                gathering_place_id: None,
                amount,
                reason,
            },
            f.id,
        ));
    }

    /// Score, listed contributions and remainder.
    fn settle(mut self) -> (f64, Vec<Contribution>, Remainder, usize, usize, usize) {
        let score: f64 = self.items.iter().map(|(c, _)| c.amount).sum();
        self.items.sort_by(|(a, ia), (b, ib)| {
            b.amount
                .partial_cmp(&a.amount)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(ia.cmp(ib))
        });
        let rest = self.items.split_off(self.items.len().min(LISTED));
        let remainder = Remainder {
            count: rest.len() as i32,
            amount: rest.iter().map(|(c, _)| c.amount).sum(),
        };
        (
            score,
            self.items.into_iter().map(|(c, _)| c).collect(),
            remainder,
            self.findings.len(),
            self.places,
            self.sources.len(),
        )
    }
}

fn confidence(
    findings: usize,
    places: usize,
    sources: usize,
    min: usize,
    min_sources: usize,
    count_places: bool,
) -> Confidence {
    let evidence = if count_places {
        findings + places
    } else {
        findings
    };
    Confidence {
        level: if evidence >= min && sources >= min_sources {
            ConfidenceLevel::Sufficient
        } else {
            ConfidenceLevel::Insufficient
        },
        findings: findings as i32,
        gathering_places: places as i32,
        sources: sources as i32,
    }
}

/// Ranks community types and platforms for the audience named `audience`.
pub fn recommend(
    audience_id: Uuid,
    audience: &str,
    findings: &[FindingEvidence],
    places: &[PlaceEvidence],
    now: DateTime<Utc>,
) -> CommunityRecommendation {
    let tagged: Vec<&FindingEvidence> = findings.iter().filter(|f| !f.tags.is_empty()).collect();
    let total: f64 = tagged.iter().map(|f| f.weight).sum();

    // Weight each tag received, for the purpose and the explanations.
    let mut tag_weight: HashMap<Uuid, (f64, i32, &TagRef)> = HashMap::new();
    for f in &tagged {
        let k = f.tags.len() as f64;
        for t in &f.tags {
            let e = tag_weight.entry(t.id).or_insert((0.0, 0, t));
            e.0 += f.weight / k;
            e.1 += 1;
        }
    }
    let strongest = |pred: &dyn Fn(&TagRef) -> bool| -> Option<(f64, i32, &TagRef)> {
        tag_weight
            .values()
            .filter(|(_, _, t)| pred(t))
            .max_by(|a, b| {
                a.0.partial_cmp(&b.0)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.1.cmp(&b.1))
                    .then(b.2.key.cmp(&a.2.key))
            })
            .copied()
    };

    let mut types = Vec::new();
    if total > 0.0 {
        let mut by_type: BTreeMap<&'static str, (CommunityKind, Parts)> = BTreeMap::new();
        for f in &tagged {
            let k = f.tags.len() as f64;
            let mut per_type: BTreeMap<&'static str, (CommunityKind, usize, Vec<&str>)> =
                BTreeMap::new();
            for t in &f.tags {
                let ty = type_of(t.kind);
                let e = per_type.entry(ty.as_str()).or_insert((ty, 0, Vec::new()));
                e.1 += 1;
                e.2.push(&t.key);
            }
            for (name, (ty, n, keys)) in per_type {
                let amount = f.weight * n as f64 / (k * total);
                let reason = format!("tags {}", keys.join(", "));
                by_type
                    .entry(name)
                    .or_insert_with(|| (ty, Parts::default()))
                    .1
                    .finding(f, amount, reason);
            }
        }
        for (_, (kind, parts)) in by_type {
            let (score, contributions, remainder, nf, _, ns) = parts.settle();
            let lead = strongest(&|t: &TagRef| type_of(t.kind) == kind)
                .map(|(_, _, t)| format!(", led by \"{}\"", t.label))
                .unwrap_or_default();
            types.push(TypeOption {
                kind,
                score,
                explanation: format!(
                    "{} of the tagged evidence points to a {} community ({nf} findings from {ns} sources){lead}.",
                    pct(score),
                    kind_word(kind)
                ),
                confidence: confidence(nf, 0, ns, TYPE_MIN_FINDINGS, TYPE_MIN_SOURCES, false),
                contributions,
                remainder,
            });
        }
        types.sort_by(|a, b| {
            b.score
                .partial_cmp(&a.score)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.kind.as_str().cmp(b.kind.as_str()))
        });
    }

    // Platforms a community can be hosted on.
    let hostable = |p: GatheringPlatform| Platform::parse(p.as_str());
    let mut activity: BTreeMap<&'static str, f64> = BTreeMap::new();
    for g in places {
        if let Some(p) = hostable(g.platform) {
            *activity.entry(p.as_str()).or_default() += g.posts_per_week.unwrap_or(0.0);
        }
    }
    let busiest = activity.values().copied().fold(0.0, f64::max);
    let with_platform: f64 = findings
        .iter()
        .filter(|f| f.platform.is_some())
        .map(|f| f.weight)
        .sum();
    let mut candidates: BTreeMap<&'static str, Platform> = BTreeMap::new();
    for p in places
        .iter()
        .map(|g| g.platform)
        .chain(findings.iter().filter_map(|f| f.platform))
        .filter_map(hostable)
    {
        candidates.insert(p.as_str(), p);
    }
    let mut platforms = Vec::new();
    for (_, platform) in candidates {
        let mine: Vec<&PlaceEvidence> = places
            .iter()
            .filter(|g| hostable(g.platform) == Some(platform))
            .collect();
        let share_sum: f64 = mine.iter().map(|g| g.audience_share.unwrap_or(0.0)).sum();
        let share_scale = if share_sum > 1.0 {
            1.0 / share_sum
        } else {
            1.0
        };
        let mut parts = Parts::default();
        let mut open = 0;
        let mut posts = 0.0;
        for g in &mine {
            let share = g.audience_share.unwrap_or(0.0);
            let ppw = g.posts_per_week.unwrap_or(0.0);
            let is_open = g.brand_present || g.self_promotion_allowed == Some(true);
            open += usize::from(is_open);
            posts += ppw;
            let amount = W_SHARE * share * share_scale
                + if busiest > 0.0 {
                    W_ACTIVITY * ppw / busiest
                } else {
                    0.0
                }
                + if is_open {
                    W_OPEN / mine.len() as f64
                } else {
                    0.0
                };
            let mut reason = format!("audience share {share:.2}, {ppw:.0} posts a week");
            if g.brand_present {
                reason.push_str(", brand present");
            } else if g.self_promotion_allowed == Some(true) {
                reason.push_str(", self-promotion allowed");
            }
            parts.places += 1;
            parts.sources.insert("\u{1}gathering place".into());
            parts.items.push((
                Contribution {
                    finding_id: None,
                    gathering_place_id: Some(ID(g.id.to_string())),
                    amount,
                    reason,
                },
                g.id,
            ));
        }
        let mut found = 0.0;
        for f in findings
            .iter()
            .filter(|f| f.platform.and_then(hostable) == Some(platform))
        {
            found += f.weight;
            parts.finding(
                f,
                W_FINDINGS * f.weight / with_platform,
                "found there".into(),
            );
        }
        let (score, contributions, remainder, nf, np, ns) = parts.settle();
        let findings_part = if with_platform > 0.0 {
            found / with_platform
        } else {
            0.0
        };
        let name = platform.as_str();
        let explanation = if np == 0 {
            format!(
                "No gathering place is recorded on {name}; {} of the findings with a platform come from there.",
                pct(findings_part)
            )
        } else {
            format!(
                "{} of the audience gathers on {name} in {np} places with {posts:.0} posts a week; {} of the findings with a platform come from there, and the brand is present or welcome in {open} of the places.",
                pct((share_sum).min(1.0)),
                pct(findings_part)
            )
        };
        platforms.push(PlatformOption {
            platform,
            score,
            explanation,
            confidence: confidence(
                nf,
                np,
                ns,
                PLATFORM_MIN_EVIDENCE,
                PLATFORM_MIN_SOURCES,
                true,
            ),
            contributions,
            remainder,
        });
    }
    platforms.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.platform.as_str().cmp(b.platform.as_str()))
    });

    // The purpose, from the strongest interest, value and goal.
    let mut evidence = Vec::new();
    let mut parts = Vec::new();
    for (kind, phrase) in [
        (TagKind::Interest, "share their interest in"),
        (TagKind::Value, "stand for"),
        (TagKind::Goal, "work towards"),
    ] {
        if let Some((weight, n, t)) = strongest(&|t: &TagRef| t.kind == kind) {
            parts.push(format!("{phrase} {}", t.label.to_lowercase()));
            evidence.push(TagEvidence {
                tag_id: ID(t.id.to_string()),
                key: t.key.clone(),
                label: t.label.clone(),
                kind,
                findings: n,
                weight,
            });
        }
    }
    let purpose = match parts.len() {
        0 => None,
        1 => Some(format!("A community where {audience} {}.", parts[0])),
        n => Some(format!(
            "A community where {audience} {} and {}.",
            parts[..n - 1].join(", "),
            parts[n - 1]
        )),
    };

    CommunityRecommendation {
        audience_id: ID(audience_id.to_string()),
        computed_at: now,
        community_types: types,
        platforms,
        purpose,
        purpose_evidence: evidence,
        findings: findings.len() as i32,
        tagged_findings: tagged.len() as i32,
        gathering_places: places.len() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(n: u128, key: &str, kind: TagKind) -> TagRef {
        TagRef {
            id: Uuid::from_u128(n),
            key: key.into(),
            label: key.replace('_', " "),
            kind,
        }
    }

    fn finding(
        n: u128,
        source: &str,
        platform: Option<GatheringPlatform>,
        weight: f64,
        tags: Vec<TagRef>,
    ) -> FindingEvidence {
        FindingEvidence {
            id: Uuid::from_u128(1000 + n),
            source: source.into(),
            platform,
            weight,
            tags,
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    fn sums(score: f64, c: &[Contribution], r: &Remainder) {
        close(c.iter().map(|c| c.amount).sum::<f64>() + r.amount, score);
    }

    #[test]
    fn community_types_share_the_tagged_weight() {
        let durability = tag(1, "durability", TagKind::ProductTheme);
        let sustainability = tag(2, "sustainability", TagKind::Value);
        let hiking = tag(3, "hiking", TagKind::Interest);
        let findings = vec![
            // w 2, tags durability + sustainability: 1 to PRODUCT, 1 to CAUSE.
            finding(
                1,
                "SURVEY",
                None,
                2.0,
                vec![durability.clone(), sustainability.clone()],
            ),
            // w 1, durability: 1 to PRODUCT.
            finding(2, "REVIEW", None, 1.0, vec![durability.clone()]),
            // w 1, hiking: 1 to LIFESTYLE.
            finding(3, "INTERVIEW", None, 1.0, vec![hiking.clone()]),
            // Untagged: not part of W.
            finding(4, "DESK", None, 5.0, vec![]),
        ];
        let r = recommend(Uuid::nil(), "hikers", &findings, &[], Utc::now());
        // W = 2 + 1 + 1 = 4. PRODUCT = (1 + 1)/4 = 0.5; CAUSE = 1/4; LIFESTYLE = 1/4.
        let t = &r.community_types;
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].kind, CommunityKind::Product);
        close(t[0].score, 0.5);
        // Ties by name: CAUSE before LIFESTYLE.
        assert_eq!(t[1].kind, CommunityKind::Cause);
        close(t[1].score, 0.25);
        assert_eq!(t[2].kind, CommunityKind::Lifestyle);
        close(t[2].score, 0.25);
        for o in t {
            sums(o.score, &o.contributions, &o.remainder);
        }
        // Two findings from two sources: under the minimum of 10.
        assert_eq!(t[0].confidence.findings, 2);
        assert_eq!(t[0].confidence.sources, 2);
        assert_eq!(t[0].confidence.level, ConfidenceLevel::Insufficient);
        assert_eq!(r.tagged_findings, 3);
        // Strongest interest hiking (1), value sustainability (1), no goal.
        assert_eq!(
            r.purpose.as_deref(),
            Some("A community where hikers share their interest in hiking and stand for sustainability.")
        );
    }

    #[test]
    fn platforms_weigh_share_activity_findings_and_openness() {
        let places = vec![
            PlaceEvidence {
                id: Uuid::from_u128(1),
                platform: GatheringPlatform::Reddit,
                audience_share: Some(0.4),
                posts_per_week: Some(100.0),
                brand_present: false,
                self_promotion_allowed: Some(false),
            },
            PlaceEvidence {
                id: Uuid::from_u128(2),
                platform: GatheringPlatform::Discord,
                audience_share: Some(0.2),
                posts_per_week: Some(50.0),
                brand_present: true,
                self_promotion_allowed: None,
            },
            // Not hostable: no platform option, and not the busiest.
            PlaceEvidence {
                id: Uuid::from_u128(3),
                platform: GatheringPlatform::InPerson,
                audience_share: Some(0.3),
                posts_per_week: Some(500.0),
                brand_present: true,
                self_promotion_allowed: None,
            },
        ];
        let findings = vec![
            finding(
                1,
                "SOCIAL_LISTENING",
                Some(GatheringPlatform::Reddit),
                3.0,
                vec![],
            ),
            finding(2, "SURVEY", Some(GatheringPlatform::Forum), 1.0, vec![]),
            finding(3, "SURVEY", None, 9.0, vec![]),
        ];
        let r = recommend(Uuid::nil(), "hikers", &findings, &places, Utc::now());
        // Findings with a platform weigh 3 + 1 = 4; the busiest hostable platform has 100 posts.
        // REDDIT: 0.5·0.4 + 0.2·100/100 + 0.2·3/4 + 0.1·0 = 0.2 + 0.2 + 0.15 = 0.55.
        // DISCORD: 0.5·0.2 + 0.2·50/100 + 0 + 0.1·1/1 = 0.1 + 0.1 + 0.1 = 0.30.
        assert_eq!(r.platforms.len(), 2);
        assert_eq!(r.platforms[0].platform, Platform::Reddit);
        close(r.platforms[0].score, 0.55);
        assert_eq!(r.platforms[1].platform, Platform::Discord);
        close(r.platforms[1].score, 0.30);
        for o in &r.platforms {
            sums(o.score, &o.contributions, &o.remainder);
        }
        // REDDIT: one place and one finding (2 items, 2 kinds of source) < 3 items.
        assert_eq!(
            r.platforms[0].confidence.level,
            ConfidenceLevel::Insufficient
        );
        assert_eq!(r.platforms[0].confidence.sources, 2);
        assert_eq!(r.top_platform(), Some(Platform::Reddit));
        assert!(r.community_types.is_empty());
        assert_eq!(r.purpose, None);
    }

    #[test]
    fn shares_above_one_are_capped_and_long_lists_keep_a_remainder() {
        let places: Vec<PlaceEvidence> = (0..3)
            .map(|i| PlaceEvidence {
                id: Uuid::from_u128(i),
                platform: GatheringPlatform::Slack,
                audience_share: Some(0.5),
                posts_per_week: None,
                brand_present: false,
                self_promotion_allowed: Some(true),
            })
            .collect();
        let findings: Vec<FindingEvidence> = (0..20)
            .map(|i| {
                finding(
                    i,
                    if i % 2 == 0 { "SURVEY" } else { "REVIEW" },
                    Some(GatheringPlatform::Slack),
                    1.0,
                    vec![tag(9, "price", TagKind::PainPoint)],
                )
            })
            .collect();
        let r = recommend(Uuid::nil(), "teams", &findings, &places, Utc::now());
        // SLACK: shares 1.5 capped at 1 → 0.5; no activity anywhere → 0;
        // all findings with a platform are there → 0.2; all 3 places open → 0.1. Score 0.8.
        let p = &r.platforms[0];
        close(p.score, 0.8);
        assert_eq!(p.contributions.len(), LISTED);
        // 23 contributions: 10 listed, 13 in the remainder.
        assert_eq!(p.remainder.count, 13);
        sums(p.score, &p.contributions, &p.remainder);
        assert_eq!(p.confidence.level, ConfidenceLevel::Sufficient);
        // PRODUCT from 20 findings of 2 sources: 1.0, sufficient.
        close(r.community_types[0].score, 1.0);
        assert_eq!(
            r.community_types[0].confidence.level,
            ConfidenceLevel::Sufficient
        );
    }
}
