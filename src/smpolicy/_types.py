"""Shared vocabularies: organization types, platforms, topics, obligations."""

from __future__ import annotations

from typing import Literal, get_args

OrgType = Literal[
    "hospital",
    "clinic",
    "dental",
    "behavioral_health",
    "long_term_care",
    "pharmacy",
    "manufacturer",
    "payer",
    "public_health",
    "academic_medical_center",
    "telehealth",
    "nonprofit",
]
ORG_TYPES: tuple[str, ...] = get_args(OrgType)

ORG_TYPE_LABELS: dict[str, str] = {
    "hospital": "hospital",
    "clinic": "clinic or medical group",
    "dental": "dental practice",
    "behavioral_health": "behavioral health provider",
    "long_term_care": "long-term care provider",
    "pharmacy": "pharmacy",
    "manufacturer": "pharmaceutical or medical device manufacturer",
    "payer": "health insurer or health plan",
    "public_health": "public health agency",
    "academic_medical_center": "academic medical center",
    "telehealth": "telehealth provider",
    "nonprofit": "health nonprofit",
}

Platform = Literal[
    "facebook",
    "instagram",
    "linkedin",
    "x",
    "youtube",
    "tiktok",
    "threads",
    "bluesky",
    "mastodon",
    "reddit",
    "snapchat",
    "pinterest",
    "whatsapp",
    "doximity",
    "review_sites",
]
PLATFORMS: tuple[str, ...] = get_args(Platform)

# How the policy names each platform in running text.
PLATFORM_NAMES: dict[str, str] = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "x": "X",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "threads": "Threads",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "reddit": "Reddit",
    "snapchat": "Snapchat",
    "pinterest": "Pinterest",
    "whatsapp": "WhatsApp",
    "doximity": "Doximity",
    "review_sites": "review sites",
}

RiskAppetite = Literal["conservative", "balanced", "permissive"]
RISK_APPETITES: tuple[str, ...] = get_args(RiskAppetite)

Topic = Literal[
    "privacy_law",
    "consent",
    "media",
    "reviews",
    "tracking",
    "sensitive_data",
    "breach",
    "penalties",
    "advertising",
    "testimonials",
    "endorsements",
    "drug_promotion",
    "employee_speech",
    "public_sector_speech",
    "professional_conduct",
    "misinformation",
    "accessibility",
    "records",
    "training",
    "sanctions",
    "ai_content",
    "emergency_contacts",
]
TOPICS: tuple[str, ...] = get_args(Topic)

# Obligations a pack entry can set. For each key, the values from the strictest
# (last) to the most lenient (first); numbers compare by the given direction.
OBLIGATION_ORDERS: dict[str, tuple[str, ...]] = {
    "testimonials": ("allowed_with_authorization", "restricted", "prohibited"),
    "rx_promotion_to_public": ("allowed_with_fair_balance", "restricted", "prohibited"),
    "credential_requests": ("allowed", "prohibited"),
}
# Numeric obligations: "min" means the smallest value is strictest (a deadline),
# "max" means the largest value is strictest (a retention period).
OBLIGATION_NUMERIC: dict[str, Literal["min", "max"]] = {
    "breach_notice_regulator_hours": "min",
    "breach_notice_individuals_days": "min",
    "record_retention_years": "max",
}
